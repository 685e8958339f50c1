#!/usr/bin/perl
# A legacy-style entry script for the start-up benchmark: it loads the modules the original SWAMP
# entry scripts load (Getopt::Long, Log::Log4perl, DBI with DBD::MariaDB, ConfigReader::Simple,
# RPC::XML::Client), parses the same options, initialises file logging, reads swamp.conf and then
# does what the original does before the DB stops waiting: print the contract output (launch_viewer)
# and detach (fork, parent exits 0). It is a stand-in written for measurement, not the original code.
use strict;
use warnings;
use Getopt::Long qw(GetOptions);
use Log::Log4perl;
use DBI;
use DBD::MariaDB;
use ConfigReader::Simple;
use RPC::XML::Client;
use POSIX qw(setsid);
use File::Basename qw(basename dirname);

my $prog = basename($0);
$prog = $ENV{BENCH_PROGRAM} if $ENV{BENCH_PROGRAM};
my %opt = (detached => 1);
GetOptions(\%opt, 'runid=s', 'execution_record_uuid=s', 'hard=s', 'viewer_name=s', 'project=s',
  'viewer_db_path=s', 'viewer_db_checksum=s', 'viewer_uuid=s', 'user_uuid=s', 'outdir=s',
  'file_path=s@', 'package=s', 'package_name=s', 'tool_name=s', 'results_type=s', 'config=s',
  'detached!', 'debug', 'list') or exit 1;
$opt{runid} //= shift @ARGV;

# installed like ours: <dir>/../log and <dir>/../etc/swamp.conf beside the script (the bench's tree)
my $here = dirname($0);
my $logdir = $ENV{BENCH_LOGDIR} || "$here/../log";
Log::Log4perl->init(\ qq{
log4perl.rootLogger = INFO, File
log4perl.appender.File = Log::Log4perl::Appender::File
log4perl.appender.File.filename = $logdir/bench-legacy-$prog.log
log4perl.appender.File.mode = append
log4perl.appender.File.layout = PatternLayout
log4perl.appender.File.layout.ConversionPattern = %d [%p %P]: %F{1}-%L %m%n
});
my $log = Log::Log4perl->get_logger($prog);
$log->info("$prog ($$) called with args: @ARGV");
my $config = ConfigReader::Simple->new($ENV{SWAMP_CONFIG} || "$here/../etc/swamp.conf");

if ($prog =~ /launch_viewer/ && ($opt{viewer_name} // '') =~ /CodeDX/i) {
  print "SUCCESS\n";
}
if ($opt{detached}) {
  chdir('/') or exit 0;
  open(STDIN, '<', '/dev/null') or exit 0;
  open(STDOUT, '>>', "$logdir/bench-legacy-swamperrors.log") or exit 0;
  open(STDERR, '>&', \*STDOUT) or exit 0;
  my $pid = fork();
  exit 0 if !defined $pid || $pid;
  setsid();
}
exit 0;
