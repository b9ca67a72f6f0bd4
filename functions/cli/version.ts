declare const __PATHGUARD_VERSION__: string | undefined;

/** Injected by the build (esbuild `define`); falls back for tests that import the sources. */
export const VERSION: string =
  typeof __PATHGUARD_VERSION__ === 'string' ? __PATHGUARD_VERSION__ : '0.0.0-dev';
