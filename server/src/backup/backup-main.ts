/** Entry point of the backup command (backup-command.ts); in the production image: node server/dist/backup/backup-main.js */
import { backupCommand } from './backup-command.js';

// Exit at once with the command's code: nothing left open (an idle keep-alive socket) holds it up.
process.exit(await backupCommand(process.argv.slice(2)));
