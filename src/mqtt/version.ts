export const BROKER_VERSION_TEXT = 'tsunagu 0.1.0';
