/// <reference types="vite/client" />
import type { JSX as ReactJSX } from 'react';

declare global {
  // React 19 moved JSX under React.JSX; keep the short `JSX.Element` in return types.
  namespace JSX {
    type Element = ReactJSX.Element;
  }
}
