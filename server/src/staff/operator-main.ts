/** `npm run operator -- invite --email x --name y`: see operator-command.ts. */
import { operatorCommand } from './operator-command.js';

process.exit(await operatorCommand(process.argv.slice(2)));
