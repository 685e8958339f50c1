import { parseDsn, DsnError } from '../../../lib/config/dsn.js';

describe('DSN parsing', () => {
  test.each([
    ['DBI:mysql:database=assessment;host=db.example.org;port=3306', { database: 'assessment', host: 'db.example.org', port: 3306 }],
    ['dbi:MariaDB:db=x;hostname=h;mysql_socket=/run/mysqld.sock', { database: 'x', host: 'h', socketPath: '/run/mysqld.sock' }],
    ['DBI:mysql:host=h;port=3307', { host: 'h', port: 3307 }],
    ['DBI:mysql:assessment', { database: 'assessment' }],
    ['DBI:mysql:assessment@h:3308', { database: 'assessment', host: 'h', port: 3308 }],
    ['DBI:mysql:assessment:h', { database: 'assessment', host: 'h' }],
    ['DBI:mysql:', {}],
    ['jdbc:mariadb://HOSTNAME:3306/', { host: 'HOSTNAME', port: 3306 }],
    ['jdbc:mysql://h/db', { host: 'h', database: 'db' }],
    ['mariadb://u:p%40ss@[::1]:3309/swamp', { host: '::1', port: 3309, database: 'swamp', user: 'u', password: 'p@ss' }],
    ['mysql://localhost/db?socket=/tmp/s.sock', { host: 'localhost', database: 'db', socketPath: '/tmp/s.sock' }],
  ])('%s', (dsn, want) => {
    expect(parseDsn(dsn)).toEqual(want);
  });

  test.each(['postgres://h/db', 'DBI:Pg:dbname=x', 'DBI:mysql:host=h;port=abc', 'DBI:mysql:host=h;port=70000', 'DBI:mysql:;=x', 'mysql://'])('rejects %s', (dsn) => {
    expect(() => parseDsn(dsn)).toThrow(DsnError);
  });
});
