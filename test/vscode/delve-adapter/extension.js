// Test only: connects VS Code to a `dlv dap --listen` server started by the test.
const vscode = require('vscode');

exports.activate = (context) => {
  context.subscriptions.push(
    vscode.debug.registerDebugAdapterDescriptorFactory('memorywatch-test-dlv', {
      createDebugAdapterDescriptor(session) {
        const port = session.configuration.dlvPort;
        if (!Number.isInteger(port)) throw new Error('memorywatch-test-dlv needs dlvPort in the launch configuration');
        return new vscode.DebugAdapterServer(port, '127.0.0.1');
      },
    }),
  );
};
