#!/usr/bin/perl
# client-dbd.pl DRIVER MODE — a Perl DBI program under libwescale (issue 17).
#
#   DRIVER: mysql (DBD::mysql) or MariaDB (DBD::MariaDB)
#   MODE:   text (client-side placeholders) or server (server-side prepare)
#
# Run by client-dbd.sh with libwescale preloaded and the topology's
# WESCALE_CONFIG. It writes rows with a prepared INSERT (each stores the
# @@server_id that ran it), reads every write back at once, then re-executes
# one prepared SELECT 1,000 times with changed parameters of changing lengths.
# Every row is checked against what was written; every read reports the
# @@server_id that answered it. Exit status 0 only with no wrong row, every
# write on the primary and at least 80 % of the reads on replicas.
use strict;
use warnings;
use DBI;

my ($driver, $mode) = @ARGV;
die "usage: $0 mysql|MariaDB text|server\n" unless $driver && $mode && $mode =~ /^(text|server)$/;
my $port = $ENV{WS_TEST_PRIMARY_PORT} or die "no topology in the environment\n";
my $prefix = $driver eq 'mysql' ? 'mysql' : 'mariadb';
my $dsn = "DBI:$driver:database=$ENV{WS_TEST_DB};host=127.0.0.1;port=$port";
$dsn .= ";${prefix}_server_prepare=1" if $mode eq 'server';
my $dbh = DBI->connect($dsn, $ENV{WS_TEST_USER}, $ENV{WS_TEST_PASSWORD}, { RaiseError => 1, PrintError => 0 });
my $table = "dbd_${driver}_$mode";

# The primary's @@server_id, asked with a hint so a replica cannot answer.
my ($primary) = $dbh->selectrow_array('SELECT /* wescale:route=primary */ @@server_id');
$dbh->do("DROP TABLE IF EXISTS $table");
$dbh->do("CREATE TABLE $table (id INT PRIMARY KEY, v VARCHAR(80), sid INT)");

sub value_of { my ($id) = @_; return ('x' x ($id % 61)) . "-$id" }

my ($wrong, $reads, $on_replica) = (0, 0, 0);
my $ins = $dbh->prepare("INSERT INTO $table (id, v, sid) VALUES (?, ?, \@\@server_id)");
my $one = $dbh->prepare("SELECT v, \@\@server_id FROM $table WHERE id = ?");
sub read_back {
	my ($id, $expect) = @_;
	$one->execute($id);
	my $rows = $one->fetchall_arrayref;
	$reads++;
	if (@$rows != 1 || !defined $rows->[0][0] || $rows->[0][0] ne $expect) {
		$wrong++;
		printf "wrong row for id %d: %s\n", $id, @$rows ? ($rows->[0][0] // 'NULL') : 'no row' if $wrong <= 5;
		return;
	}
	$on_replica++ if $rows->[0][1] != $primary;
}

# Write, then read back at once (read-your-writes), 200 times.
for my $id (1 .. 200) {
	$ins->execute($id, value_of($id));
	read_back($id, value_of($id));
}
# 1,000 re-executions of the prepared read, parameters changing each time.
for my $i (1 .. 1000) {
	my $id = 1 + ($i * 7919) % 200;
	read_back($id, value_of($id));
}
# A parameter bound as a string, then as a number, then NULL.
my $by_v = $dbh->prepare("SELECT COUNT(*), \@\@server_id FROM $table WHERE v = ?");
for my $id (1 .. 50) {
	$by_v->execute(value_of($id));
	my ($n) = $by_v->fetchrow_array;
	$by_v->finish;
	$wrong++ if $n != 1;
}
$by_v->execute(undef);
my ($n_null) = $by_v->fetchrow_array;
$by_v->finish;
$wrong++ if $n_null != 0;
$one->bind_param(1, 17, DBI::SQL_INTEGER());
$one->execute;
my ($v17) = $one->fetchrow_array;
$one->finish;
$wrong++ unless defined $v17 && $v17 eq value_of(17);

# Long values of growing size: drivers re-fetch a column that did not fit its
# buffer (DBD::mysql moves the buffer in the statement's own bindings).
$dbh->do("CREATE TABLE ${table}_long (id INT PRIMARY KEY, t MEDIUMTEXT)");
my $ins_long = $dbh->prepare("INSERT INTO ${table}_long VALUES (?, ?)");
my $rd_long = $dbh->prepare("SELECT t, \@\@server_id FROM ${table}_long WHERE id = ?");
for my $k (1 .. 12) {
	my $text = join('', map { chr(97 + ($_ * $k) % 26) } 1 .. 2**$k * 7);
	$ins_long->execute($k, $text);
	$rd_long->execute($k);
	my ($got, $sid) = $rd_long->fetchrow_array;
	$rd_long->finish;
	$reads++;
	$on_replica++ if defined $sid && $sid != $primary;
	if (!defined $got || $got ne $text) {
		$wrong++;
		printf "wrong long value %d: %d bytes instead of %d\n", $k, length($got // ''), length $text;
	}
}
$dbh->do("DROP TABLE ${table}_long");

my ($off_primary) = $dbh->selectrow_array(
	"SELECT /* wescale:route=primary */ COUNT(*) FROM $table WHERE sid <> ?", undef, $primary);
$dbh->do("DROP TABLE $table");
$dbh->disconnect;
my $share = $reads ? 100 * $on_replica / $reads : 0;
printf "%s %s: %d reads, %d wrong, %.1f%% on replicas, %d writes off the primary\n",
	$driver, $mode, $reads, $wrong, $share, $off_primary;
exit($wrong == 0 && $off_primary == 0 && $share >= 80 ? 0 : 1);
