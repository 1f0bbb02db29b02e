# client_mysql2.rb — Ruby mysql2 (Debian ruby-mysql2) through libwescale.
#
# mysql2 sends every query with mysql_send_query(), waits on the handle's own
# socket (MYSQL.net.fd) and then calls mysql_read_query_result(): a read that a
# replica answers must wake that wait (docs/architecture.md, "A reply the
# application waits for itself"). 1,000 statements of a write/read loop; every
# read is checked against a direct connection to the primary (its unix socket:
# not a managed connection) and located by the @@server_id it returns.
#
# Then prepared reads (Mysql2::Statement) executed on replicas many times:
# mysql2 binds fresh parameter and result buffers for each execute, frees them
# once the rows are read and clears the statement's bind_result_done; a replica
# statement must never write into those freed buffers (heap corruption, about
# every other run, before the fix). Changing parameters, result sizes that grow
# and shrink, NULLs, strings that grow, and writes in between (some reads then
# run on the primary, so the statement moves between nodes); rows compared with
# the same statement prepared on the direct connection.
require 'mysql2'
require 'timeout'

def fail!(msg)
  warn "FAIL: #{msg}"
  exit 1
end

env = ENV.to_h
primary_id = nil
opts = { username: env['WS_TEST_USER'], password: env['WS_TEST_PASSWORD'], database: env['WS_TEST_DB'] }
routed = Mysql2::Client.new(**opts, host: '127.0.0.1', port: env['WS_TEST_PRIMARY_PORT'].to_i)
# root over the unix socket: the only account the socket accepts.
direct = Mysql2::Client.new(username: "root", database: env["WS_TEST_DB"], socket: "#{env["WS_TEST_DIR"]}/node0/sock")
primary_id = direct.query('SELECT @@server_id AS s').first['s']

# A fresh handle whose first statement is a quick one for the primary (SET
# NAMES): libwescale's own session-tracking setup must not travel in front of
# it, or its reply and the statement's can arrive together and the socket
# mysql2 polls never becomes readable again (a hang).
Timeout.timeout(30) do
  20.times do
    c = Mysql2::Client.new(**opts, host: '127.0.0.1', port: env['WS_TEST_PRIMARY_PORT'].to_i)
    c.query('SET NAMES utf8mb4')
    cs = c.query('SELECT @@character_set_client AS cs').first['cs']
    fail!("SET NAMES as the first statement: character_set_client is #{cs}") unless cs == 'utf8mb4'
    c.close
  end
end

reads = replica_reads = writes = 0
Timeout.timeout(120) do
  routed.query('DROP TABLE IF EXISTS mysql2_loop')
  routed.query('CREATE TABLE mysql2_loop (id INT PRIMARY KEY, v INT NOT NULL)')
  writes += 2
  check = lambda do |sql|
    got = routed.query(sql).to_a
    want = direct.query(sql.sub(', @@server_id AS sid', '')).to_a
    reads += 1
    sids = got.map { |r| r.delete('sid') }.uniq
    replica_reads += 1 if sids.any? && !sids.include?(primary_id)
    fail!("#{sql}: #{got.inspect} through libwescale, #{want.inspect} direct") if got != want
  end
  i = 0
  while writes + reads < 1000
    i += 1
    if i.odd?
      routed.query("INSERT INTO mysql2_loop VALUES (#{i}, #{i * 7})")
    else
      routed.query("UPDATE mysql2_loop SET v = v + 1 WHERE id = #{i - 1}")
    end
    writes += 1
    # Read-your-write (a wait may be needed), then reads that need none.
    check.call("SELECT v, @@server_id AS sid FROM mysql2_loop WHERE id = #{i.odd? ? i : i - 1}")
    check.call("SELECT COUNT(*) AS n, SUM(v) AS s, @@server_id AS sid FROM mysql2_loop")
    check.call("SELECT 1 + #{i} AS x, @@server_id AS sid")
  end
  # The asynchronous form: query returns at once, the result is fetched later.
  routed.query('SELECT SLEEP(0.2), @@server_id AS sid', async: true)
  routed.async_result
end
share = 100.0 * replica_reads / reads
puts "ok: #{writes + reads} statements (#{reads} reads, #{writes} writes), no hang, rows equal to a direct connection"
puts "ok: #{replica_reads} of #{reads} reads on replicas (#{share.round(1)} %)"
fail!("only #{share.round(1)} % of the reads ran on replicas (want >= 80 %)") if share < 80
routed.query('DROP TABLE mysql2_loop')

ps_reads = ps_replica = 0
Timeout.timeout(120) do
  routed.query('DROP TABLE IF EXISTS mysql2_ps')
  routed.query('CREATE TABLE mysql2_ps (id INT PRIMARY KEY, s VARCHAR(2000), n BIGINT NULL, d DOUBLE NULL)')
  values = (1..40).map { |i| "(#{i}, '#{'s' * (i * 13)}', #{i % 3 == 0 ? 'NULL' : i * 1000}, #{i.even? ? i / 4.0 : 'NULL'})" }
  routed.query("INSERT INTO mysql2_ps VALUES #{values.join(', ')}")
  sqls = ['SELECT id, s, n, d, @@server_id AS sid FROM mysql2_ps WHERE id BETWEEN ? AND ? ORDER BY id',
          'SELECT CONCAT(?, REPEAT(?, ?)) AS s, ? AS n, @@server_id AS sid',
          'SELECT COUNT(*) AS c, MAX(LENGTH(s)) AS l, SUM(n) AS t, @@server_id AS sid FROM mysql2_ps WHERE id <= ?']
  routed_ps = sqls.map { |q| routed.prepare(q) }
  direct_ps = sqls.map { |q| direct.prepare(q.sub(', @@server_id AS sid', '')) }
  run = lambda do |k, *args|
    got = routed_ps[k].execute(*args).to_a
    want = direct_ps[k].execute(*args).to_a
    ps_reads += 1
    sids = got.map { |r| r.delete('sid') }.uniq
    ps_replica += 1 if sids.any? && !sids.include?(primary_id)
    fail!("prepared #{sqls[k]} #{args.inspect}: #{got.inspect} through libwescale, #{want.inspect} direct") if got != want
  end
  400.times do |i|
    if (i % 25).zero? # a write: the reads right after it may run on the primary
      routed.query("UPDATE mysql2_ps SET s = CONCAT(s, 'w'), n = IFNULL(n, 0) + #{i} WHERE id = #{1 + i % 40}")
    end
    lo = 1 + (i * 7) % 40
    run.call(0, lo, lo + i % 13)                     # 0..13 rows, growing and shrinking strings
    run.call(1, 'p' * (i % 5), 'x', (i * 17) % 900, i.even? ? nil : i) # one row: a string that grows, NULL
    run.call(2, i % 41)
  end
  (routed_ps + direct_ps).each(&:close)
  routed.query('DROP TABLE mysql2_ps')
end
ps_share = 100.0 * ps_replica / ps_reads
puts "ok: #{ps_reads} prepared reads, rows equal to a direct connection; #{ps_replica} on replicas (#{ps_share.round(1)} %)"
fail!("only #{ps_share.round(1)} % of the prepared reads ran on replicas (want >= 80 %)") if ps_share < 80
