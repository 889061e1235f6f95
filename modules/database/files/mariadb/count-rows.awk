# Counts the rows of each table in a mariadb-dump file, without a server:
# prints "table<TAB>rows" for every CREATE TABLE (0 when it has no INSERT).
# Handles both layouts of extended inserts: all rows on the INSERT line
# (older dumps) and one row per line (mariadb-dump 10.11.8+ and 11.x).
# String literals are removed first; mariadb-dump escapes quotes and
# newlines inside them with backslashes, so a literal never spans lines and
# "),(" is then only a row separator.
function table_name(s,   out, i, c) {
	s = substr(s, index(s, "`") + 1)
	out = ""
	for (i = 1; i <= length(s); i++) {
		c = substr(s, i, 1)
		if (c == "`") {
			if (substr(s, i + 1, 1) != "`") return out
			i++
		}
		out = out c
	}
	return out
}
# values: one line of the VALUES part of the current INSERT.
function values(s) {
	gsub(str, "", s)
	if (open && substr(s, 1, 1) == "(") n++
	n += gsub(/\),\(/, "&", s)
	if (s ~ /\);[ \t\r]*$/) {
		rows[t] += n + 1
		ins = 0
	}
	open = (s ~ /\),[ \t\r]*$/)
}
BEGIN { q = sprintf("%c", 39); str = q "([^" q "\\\\]|\\\\.)*" q }
/^CREATE TABLE `/ { t = table_name($0); if (!(t in rows)) rows[t] = 0; next }
/^INSERT INTO `/ {
	t = table_name($0)
	ins = 1
	n = 0
	open = 0
	values(substr($0, index($0, " VALUES") + 7))
	next
}
ins { values($0) }
END { for (t in rows) printf "%s\t%d\n", t, rows[t] }
