/**
 * Preloaded (`--import`) into each process `npm start` runs. They run in process groups of their
 * own, so that Ctrl+C reaches the launcher alone and it can stop them in order; this makes each
 * stop by itself when the launcher is gone, even killed outright: its end of the IPC channel
 * closes, and the process gets the SIGTERM the launcher would have sent.
 */
if (process.connected) {
  process.once('disconnect', () => process.kill(process.pid, 'SIGTERM'));
  // Listening keeps the channel referenced; the process's own work decides when it ends.
  process.channel?.unref();
}
