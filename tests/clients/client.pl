#!/usr/bin/perl
# The client matrix's work (tests/clients/matrix.py) with Perl DBI.
#
#   client.pl TABLE mysql|mysql-ps|mariadb
#     mysql     DBD::mysql, placeholders filled in by the client (its default)
#     mysql-ps  DBD::mysql with mysql_server_prepare=1 (server-side prepared statements)
#     mariadb   DBD::MariaDB
# Prints one line per row read, as client.c does; any error: a line on stderr
# and exit status 1.
use strict;
use warnings;
use DBI;

my ($table, $mode) = @ARGV;
my $driver = $mode eq 'mariadb' ? 'MariaDB' : 'mysql';
my %attr = (RaiseError => 1, PrintError => 0, AutoCommit => 1);
$attr{mysql_server_prepare} = 1 if $mode eq 'mysql-ps';
my $dbh = eval {
	DBI->connect("DBI:$driver:database=$ENV{WS_TEST_DB};host=127.0.0.1;port=$ENV{WS_TEST_PRIMARY_PORT}",
		$ENV{WS_TEST_USER}, $ENV{WS_TEST_PASSWORD}, \%attr);
} or die "ERROR: connect: $@\n";

sub show {
	my ($label, $sql, @args) = @_;
	my $rows = $dbh->selectall_arrayref($sql, undef, @args);
	print "$label ", join('|', map { defined $_ ? $_ : 'NULL' } @$_), "\n" for @$rows;
	print "$label (no row)\n" unless @$rows;
}

eval {
	$dbh->do('SET NAMES utf8mb4');
	show('charset', 'SELECT @@character_set_client');
	$dbh->do('USE wstest2');
	show('use', 'SELECT DATABASE()');
	$dbh->do("USE $ENV{WS_TEST_DB}");
	show('use', 'SELECT DATABASE()');

	show('seed', "SELECT id, v, n FROM $table WHERE id = ?", $_) for 1 .. 10;

	for my $i (1 .. 10) {
		$dbh->do("INSERT INTO $table VALUES (?, ?, ?)", undef, 100 + $i, "w$i", $i);
		show('readback', "SELECT id, v, n FROM $table WHERE id = ?", 100 + $i);
	}

	my $upd = $dbh->prepare("UPDATE $table SET n = ? WHERE id = ?");
	my $sel = $dbh->prepare("SELECT n FROM $table WHERE id = ?");
	for my $i (1 .. 10) {
		$upd->execute(1000 + $i, 100 + $i);
		$sel->execute(100 + $i);
		my ($n) = $sel->fetchrow_array;
		$sel->finish;
		print 'prepared ', 100 + $i, ' ', defined $n ? $n : '(no row)', "\n";
	}

	# The values live in an array, as an application's data would (each
	# execute binds a different, still valid, buffer).
	my @keys = map { "w$_" } 1 .. 10;
	my $byv = $dbh->prepare("SELECT id, n FROM $table WHERE v = ?");
	for my $i (1 .. 10) {
		$byv->execute($keys[$i - 1]);
		my @row = $byv->fetchrow_array;
		$byv->finish;
		print "prepared-read w$i ", @row ? join('|', @row) : '(no row)', "\n";
	}

	$dbh->begin_work;
	$dbh->do("UPDATE $table SET v = 'in trx' WHERE id = 101");
	show('trx', "SELECT v FROM $table WHERE id = 101");
	$dbh->commit;
	show('after-trx', "SELECT v FROM $table WHERE id = 101");
	show('total', "SELECT COUNT(*), SUM(n) FROM $table");
	$dbh->disconnect;
	1;
} or die "ERROR: $@";
