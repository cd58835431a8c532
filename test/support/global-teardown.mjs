// Stops the emulators started by global-setup.mjs.
export default async function globalTeardown() {
  await globalThis.__OFAUTH_EMULATORS__?.stop();
}
