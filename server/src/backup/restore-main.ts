/** Entry point of the restore command (restore-command.ts); in the production image: node server/dist/backup/restore-main.js */
import { restoreCommand } from './restore-command.js';

// Exit at once with the command's code: nothing left open (an idle keep-alive socket) holds it up.
process.exit(await restoreCommand(process.argv.slice(2)));
