# The client matrix's work (tests/clients/matrix.py) with Ruby's mysql2.
#
#   client.rb TABLE
# Prints one line per row read, as client.c does; any error: a line on stderr
# and exit status 1. Prepared statements: Mysql2::Client#prepare (server side).
require 'mysql2'

table = ARGV[0]
begin
  c = Mysql2::Client.new(host: '127.0.0.1', port: ENV['WS_TEST_PRIMARY_PORT'].to_i,
                         username: ENV['WS_TEST_USER'], password: ENV['WS_TEST_PASSWORD'],
                         database: ENV['WS_TEST_DB'])
  show = lambda do |label, sql|
    rows = c.query(sql, as: :array).to_a
    rows.each { |r| puts "#{label} #{r.map { |v| v.nil? ? 'NULL' : v.to_s }.join('|')}" }
    puts "#{label} (no row)" if rows.empty?
  end

  c.query('SET NAMES utf8mb4')
  show.call('charset', 'SELECT @@character_set_client')
  c.query('USE wstest2')
  show.call('use', 'SELECT DATABASE()')
  c.query("USE #{ENV['WS_TEST_DB']}")
  show.call('use', 'SELECT DATABASE()')

  (1..10).each { |i| show.call('seed', "SELECT id, v, n FROM #{table} WHERE id = #{i}") }
  (1..10).each do |i|
    c.query("INSERT INTO #{table} VALUES (#{100 + i}, 'w#{i}', #{i})")
    show.call('readback', "SELECT id, v, n FROM #{table} WHERE id = #{100 + i}")
  end

  upd = c.prepare("UPDATE #{table} SET n = ? WHERE id = ?")
  sel = c.prepare("SELECT n FROM #{table} WHERE id = ?")
  (1..10).each do |i|
    upd.execute(1000 + i, 100 + i)
    row = sel.execute(100 + i, as: :array).to_a.first
    puts "prepared #{100 + i} #{row ? row[0] : '(no row)'}"
  end
  byv = c.prepare("SELECT id, n FROM #{table} WHERE v = ?")
  (1..10).each do |i|
    row = byv.execute("w#{i}", as: :array).to_a.first
    puts "prepared-read w#{i} #{row ? row.join('|') : '(no row)'}"
  end
  byv.close
  upd.close
  sel.close

  c.query('START TRANSACTION')
  c.query("UPDATE #{table} SET v = 'in trx' WHERE id = 101")
  show.call('trx', "SELECT v FROM #{table} WHERE id = 101")
  c.query('COMMIT')
  show.call('after-trx', "SELECT v FROM #{table} WHERE id = 101")
  show.call('total', "SELECT COUNT(*), SUM(n) FROM #{table}")
  c.close
rescue StandardError => e
  warn "ERROR: #{e.class}: #{e.message}"
  exit 1
end
