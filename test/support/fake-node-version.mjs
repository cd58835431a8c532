// Preloaded by test/unit/require-node.test.ts before local/require-node.mjs: makes this process
// report the Node.js version in FAKE_NODE_VERSION, as an older Node would.
Object.defineProperty(process, 'versions', {
  value: { ...process.versions, node: process.env.FAKE_NODE_VERSION },
});
