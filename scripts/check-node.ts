// npm scripts must run on the Node 24 that the `node` devDependency ships. If its
// preinstall was skipped, they silently fall back to the system Node: say so plainly.
const major = Number(process.versions.node.split('.')[0]);
if (major < 24) {
  console.error(
    `Kiln needs Node 24 or later, but npm scripts run on ${process.version}.\n` +
      'Run `npm ci` (it installs Node 24 from the `node` devDependency) and try again.',
  );
  process.exit(1);
}
