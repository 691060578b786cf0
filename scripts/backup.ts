/** `npm run backup`: server/src/backup/backup-command.ts; docs/operator-backups.md. */
import { backupCommand } from '@wardline/server/backup-command';

process.exit(await backupCommand(process.argv.slice(2)));
