// Start dynalite (in memory, tables ACTIVE after 50 ms) on 127.0.0.1 only:
// its own command line listens on every interface.  Usage: node THIS PORT
'use strict';
const dynalite = require('dynalite');
const port = parseInt(process.argv[2], 10);
const server = dynalite({createTableMs: 50, deleteTableMs: 50, updateTableMs: 50});
server.listen(port, '127.0.0.1', () => {
  process.stdout.write('dynalite on 127.0.0.1:' + port + '\n');
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
