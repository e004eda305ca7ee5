// Package clickhouse holds Plaudit's ClickHouse schema: numbered migrations
// (NNNN_name.sql, applied in order and recorded in plaudit_migrations) and
// the code that applies them. The tables and views are documented in
// README.md.
//
// The SQL runs on the ClickHouse Debian ships (18.16) and on current
// releases. Two placeholders are filled in by server version: {{lowcard}} is
// LowCardinality(String) from 19.9 on and String before, and {{datetime}} is
// DateTime64(3, 'UTC') from 20.1 on (millisecond event times) and
// DateTime('UTC') before: in UTC either way, so that days and weeks are the
// same whatever the server's own time zone.
package clickhouse

import (
	"context"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
)

//go:embed *.sql
var files embed.FS

// Migration is one numbered file of statements.
type Migration struct {
	Version int
	Name    string
	SQL     string // as written, placeholders included
}

// Migrations lists the migrations in order.
func Migrations() ([]Migration, error) {
	names, err := fs.Glob(files, "*.sql")
	if err != nil {
		return nil, err
	}
	slices.Sort(names)
	out := make([]Migration, 0, len(names))
	for _, n := range names {
		num, rest, ok := strings.Cut(strings.TrimSuffix(n, ".sql"), "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v < 1 {
			return nil, fmt.Errorf("clickhouse: migration file %s: want NNNN_name.sql", n)
		}
		if len(out) > 0 && out[len(out)-1].Version >= v {
			return nil, fmt.Errorf("clickhouse: migration %s: version %d repeated or out of order", n, v)
		}
		b, err := files.ReadFile(n)
		if err != nil {
			return nil, err
		}
		out = append(out, Migration{Version: v, Name: rest, SQL: string(b)})
	}
	return out, nil
}

// Version is a ClickHouse server version, major and minor.
type Version struct{ Major, Minor int }

// Features are what the server version allows.
func (v Version) atLeast(major, minor int) bool {
	return v.Major > major || (v.Major == major && v.Minor >= minor)
}

// Render fills in a migration's placeholders for server version v.
func Render(sql string, v Version) string {
	lowcard, datetime := "String", "DateTime('UTC')"
	if v.atLeast(19, 9) {
		lowcard = "LowCardinality(String)"
	}
	if v.atLeast(20, 1) {
		datetime = "DateTime64(3, 'UTC')"
	}
	return strings.NewReplacer("{{lowcard}}", lowcard, "{{datetime}}", datetime).Replace(sql)
}

// Statements splits rendered SQL into statements: at each semicolon that
// ends a line, comment lines dropped.
func Statements(sql string) []string {
	var out []string
	var cur []string
	for _, line := range strings.Split(sql, "\n") {
		t := strings.TrimSpace(line)
		if t == "" || strings.HasPrefix(t, "--") {
			continue
		}
		cur = append(cur, line)
		if strings.HasSuffix(t, ";") {
			stmt := strings.TrimSuffix(strings.TrimSpace(strings.Join(cur, "\n")), ";")
			out = append(out, stmt)
			cur = nil
		}
	}
	if len(cur) > 0 {
		out = append(out, strings.TrimSpace(strings.Join(cur, "\n")))
	}
	return out
}

// MigrationsTable records the migrations applied to a database.
const MigrationsTable = "plaudit_migrations"

// Migrate applies the migrations conn's database has not recorded, in
// order, and records each; it returns the versions it applied. Every
// statement is idempotent (IF NOT EXISTS; an ALTER TABLE ... ADD COLUMN,
// which has no IF NOT EXISTS before ClickHouse 19, is skipped when the
// column is there), so a migration cut short is applied whole on the next
// start. A database that recorded a migration
// this build does not know (a newer Plaudit's) is refused.
func Migrate(ctx context.Context, conn driver.Conn) ([]int, error) {
	sv, err := conn.ServerVersion()
	if err != nil {
		return nil, fmt.Errorf("clickhouse: server version: %w", err)
	}
	v := Version{Major: int(sv.Version.Major), Minor: int(sv.Version.Minor)}
	ms, err := Migrations()
	if err != nil {
		return nil, err
	}
	if err := conn.Exec(ctx, `CREATE TABLE IF NOT EXISTS `+MigrationsTable+` (
    version UInt32, name String, checksum String, applied_at DateTime
) ENGINE = MergeTree() ORDER BY version`); err != nil {
		return nil, fmt.Errorf("clickhouse: %s: %w", MigrationsTable, err)
	}
	applied := map[int]bool{}
	rows, err := conn.Query(ctx, "SELECT version FROM "+MigrationsTable)
	if err != nil {
		return nil, fmt.Errorf("clickhouse: read %s: %w", MigrationsTable, err)
	}
	for rows.Next() {
		var n uint32
		if err := rows.Scan(&n); err != nil {
			rows.Close()
			return nil, err
		}
		applied[int(n)] = true
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for n := range applied {
		if !slices.ContainsFunc(ms, func(m Migration) bool { return m.Version == n }) {
			return nil, fmt.Errorf("clickhouse: the database has migration %d, which this Plaudit does not know: a newer version wrote it", n)
		}
	}
	var done []int
	for _, m := range ms {
		if applied[m.Version] {
			continue
		}
		sql := Render(m.SQL, v)
		for _, stmt := range Statements(sql) {
			if there, err := columnThere(ctx, conn, stmt); err != nil || there {
				if err != nil {
					return done, fmt.Errorf("clickhouse: migration %04d_%s: %w", m.Version, m.Name, err)
				}
				continue
			}
			if err := conn.Exec(ctx, stmt); err != nil {
				return done, fmt.Errorf("clickhouse: migration %04d_%s: %w\n%s", m.Version, m.Name, err, stmt)
			}
		}
		sum := sha256.Sum256([]byte(sql))
		if err := record(ctx, conn, m, hex.EncodeToString(sum[:])); err != nil {
			return done, fmt.Errorf("clickhouse: record migration %d: %w", m.Version, err)
		}
		done = append(done, m.Version)
	}
	return done, nil
}

var addColumn = regexp.MustCompile(`(?is)^ALTER\s+TABLE\s+(\w+)\s+ADD\s+COLUMN\s+(\w+)\s`)

// columnThere reports whether stmt adds a column that its table has.
func columnThere(ctx context.Context, conn driver.Conn, stmt string) (bool, error) {
	m := addColumn.FindStringSubmatch(strings.TrimSpace(stmt))
	if m == nil {
		return false, nil
	}
	var n uint64
	err := conn.QueryRow(ctx, "SELECT count() FROM system.columns WHERE database = currentDatabase() AND table = ? AND name = ?", m[1], m[2]).Scan(&n)
	return n > 0, err
}

func record(ctx context.Context, conn driver.Conn, m Migration, checksum string) error {
	b, err := conn.PrepareBatch(ctx, "INSERT INTO "+MigrationsTable+" (version, name, checksum, applied_at)")
	if err != nil {
		return err
	}
	if err := b.Append(uint32(m.Version), m.Name, checksum, time.Now().UTC()); err != nil {
		_ = b.Abort()
		return err
	}
	return b.Send()
}
