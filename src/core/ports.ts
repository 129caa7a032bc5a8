/** A listener's port is taken: the message names the port, what it was for, and the flag to change. */
export class PortInUseError extends Error {
  constructor(
    readonly port: number,
    readonly what: string,
    readonly flag: string,
  ) {
    super(
      `port ${port} (${what}) is already in use; choose another with --${flag} or TSUNAGU_${flag.replace(/-/g, '_').toUpperCase()}`,
    );
    this.name = 'PortInUseError';
  }
}

/** Run a listen call and turn EADDRINUSE into a PortInUseError. */
export async function onPort<T>(port: number, what: string, flag: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE') throw new PortInUseError(port, what, flag);
    throw err;
  }
}
