import { daemonStatus, startDaemonProcess, stopDaemon } from '@sbx/sandboxd';

export async function daemon(argv: { action: string; json: boolean }): Promise<void> {
  const write = (text: string) => process.stdout.write(text);
  if (argv.action === 'start') {
    const { pid, started } = await startDaemonProcess();
    write(
      started ? `sandboxd started (pid ${pid})\n` : `sandboxd is already running (pid ${pid})\n`,
    );
  } else if (argv.action === 'stop') {
    const { stopped, pid } = await stopDaemon();
    write(stopped ? `sandboxd stopped (pid ${pid})\n` : 'sandboxd is not running\n');
  } else {
    const status = await daemonStatus();
    if (argv.json) return void write(`${JSON.stringify(status)}\n`);
    write(
      status.running
        ? `sandboxd is running (pid ${status.pid}, version ${status.version})\nsocket: ${status.socket}\nlog:    ${status.log}\n`
        : `sandboxd is not running\nsocket: ${status.socket}\nlog:    ${status.log}\n`,
    );
  }
}
