/** `npm run restore`: server/src/backup/restore-command.ts; docs/operator-backups.md. */
import { restoreCommand } from '@wardline/server/restore-command';

process.exit(await restoreCommand(process.argv.slice(2)));
