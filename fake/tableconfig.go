package fake

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// tableClauses are the clauses a table configuration may hold (Huawei's
// docs: PARTITION BY, COLUMNS, ORDER BY, SAMPLE BY, PRIMARY KEY, TTL),
// each as its words.
var tableClauses = [][]string{
	{"PARTITION", "BY"}, {"COLUMNS"}, {"ORDER", "BY"}, {"SAMPLE", "BY"}, {"PRIMARY", "KEY"}, {"TTL"},
}

// refusedClauses are clauses of a ClickHouse table definition that a table
// configuration may not hold.
var refusedClauses = []string{"ENGINE", "SETTINGS", "INDEX", "PROJECTION", "CONSTRAINT", "COMMENT"}

// checkTableConfig reports why a table configuration fails, or nil. A
// configuration is a sequence of the documented clauses, each at most
// once, each followed by a non-empty expression; COLUMNS by a list in
// parentheses. Keywords are matched without regard to case, outside
// parentheses and quotes; parentheses must balance and quotes close; a `;`
// outside quotes, or another clause of a table definition (ENGINE,
// SETTINGS, ...), fails.
func checkTableConfig(config string) error {
	words, err := topLevelWords(config)
	if err != nil {
		return err
	}
	type clause struct {
		name       string
		start, end int // byte offsets of the expression in config
	}
	var clauses []clause
	seen := map[string]bool{}
	for i := 0; i < len(words); i++ {
		for _, r := range refusedClauses {
			if strings.EqualFold(words[i].text, r) {
				return fmt.Errorf("clause %s is not a table configuration clause", r)
			}
		}
		n := matchClause(words, i)
		if n == 0 {
			if len(clauses) == 0 {
				return errors.New("the configuration does not start with a clause")
			}
			continue
		}
		name := strings.ToUpper(joinWords(words[i : i+n]))
		if seen[name] {
			return fmt.Errorf("clause %s appears twice", name)
		}
		seen[name] = true
		if len(clauses) > 0 {
			clauses[len(clauses)-1].end = words[i].start
		}
		clauses = append(clauses, clause{name: name, start: words[i+n-1].end, end: len(config)})
		i += n - 1
	}
	if len(clauses) == 0 {
		return errors.New("the configuration is empty")
	}
	for _, c := range clauses {
		expr := strings.TrimSpace(config[c.start:c.end])
		if expr == "" {
			return fmt.Errorf("clause %s has no expression", c.name)
		}
		if c.name == "COLUMNS" && !isParenthesised(expr) {
			return errors.New("COLUMNS takes a list in parentheses")
		}
	}
	return nil
}

// word is a word of a configuration outside parentheses and quotes.
type word struct {
	text       string
	start, end int
}

// topLevelWords returns the identifier-like words of config that are
// outside parentheses and quotes, checking that parentheses balance,
// quotes close and no `;` stands outside quotes.
func topLevelWords(config string) ([]word, error) {
	var words []word
	depth := 0
	for i := 0; i < len(config); {
		c := config[i]
		switch {
		case c == '\'' || c == '"' || c == '`':
			end := closingQuote(config, i)
			if end < 0 {
				return nil, errors.New("a quote is not closed")
			}
			i = end + 1
			continue
		case c == '(':
			depth++
		case c == ')':
			depth--
			if depth < 0 {
				return nil, errors.New("a parenthesis closes that was not opened")
			}
		case c == ';':
			return nil, errors.New("the configuration holds a `;`")
		case isWordByte(c):
			j := i
			for j < len(config) && isWordByte(config[j]) {
				j++
			}
			if depth == 0 {
				words = append(words, word{text: config[i:j], start: i, end: j})
			}
			i = j
			continue
		}
		i++
	}
	if depth != 0 {
		return nil, errors.New("a parenthesis is not closed")
	}
	return words, nil
}

// closingQuote returns the index of the quote that closes the one at
// open (a backslash escapes the next byte, a doubled quote stands for
// itself), or -1.
func closingQuote(s string, open int) int {
	q := s[open]
	for i := open + 1; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case q:
			if i+1 < len(s) && s[i+1] == q {
				i++
				continue
			}
			return i
		}
	}
	return -1
}

func isWordByte(c byte) bool {
	return c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= 0x80
}

// matchClause returns how many words from words[i] spell a clause
// keyword, or 0.
func matchClause(words []word, i int) int {
	for _, kw := range tableClauses {
		if i+len(kw) > len(words) {
			continue
		}
		ok := true
		for k, w := range kw {
			if !strings.EqualFold(words[i+k].text, w) {
				ok = false
				break
			}
		}
		if ok {
			return len(kw)
		}
	}
	return 0
}

func joinWords(ws []word) string {
	parts := make([]string, len(ws))
	for i, w := range ws {
		parts[i] = w.text
	}
	return strings.Join(parts, " ")
}

// isParenthesised reports whether expr is one non-empty list in
// parentheses: it opens with ( and the parenthesis that closes it ends expr.
func isParenthesised(expr string) bool {
	if len(expr) < 2 || expr[0] != '(' || expr[len(expr)-1] != ')' {
		return false
	}
	depth := 0
	for i := 0; i < len(expr); i++ {
		switch expr[i] {
		case '\'', '"', '`':
			if i = closingQuote(expr, i); i < 0 {
				return false // topLevelWords has checked that quotes close
			}
		case '(':
			depth++
		case ')':
			depth--
			if depth == 0 && i != len(expr)-1 {
				return false
			}
		}
	}
	return strings.TrimSpace(expr[1:len(expr)-1]) != ""
}

func (a api) CheckClickHouseTableConfig(_ context.Context, req CheckClickHouseTableConfigRequestObject) (CheckClickHouseTableConfigResponseObject, error) {
	if req.Body == nil { // validation rejects a missing body; keep the handler total anyway
		return CheckClickHouseTableConfig400JSONResponse{clientError(CodeInvalidParameter, "Invalid request: the request body is missing.")}, nil
	}
	b := req.Body
	if !a.s.store.knowsDatabase(req.InstanceID, b.SourceDatabaseName) {
		return CheckClickHouseTableConfig400JSONResponse{clientError(CodeSourceDatabaseNotFound, errNoSourceDatabase)}, nil
	}
	err := checkScope(b.TableReplConfig)
	if err == nil {
		_, err = judge(b.DBConfigs) // the answer has no place for the parameters' results
	}
	seen := make(map[string]bool, len(b.TablesConfigs))
	for _, t := range b.TablesConfigs {
		if err == nil && seen[t.TableName] {
			err = fmt.Errorf("tables_configs names table %q twice", t.TableName)
		}
		seen[t.TableName] = true
	}
	if err != nil {
		return CheckClickHouseTableConfig400JSONResponse{parameterError(err)}, nil
	}
	results := make([]TableConfigCheckResult, 0, len(b.TablesConfigs))
	for _, t := range b.TablesConfigs {
		r := TableConfigCheckResult{TableName: t.TableName, TableConfig: t.TableConfig, CheckResult: CheckSuccess}
		if checkTableConfig(t.TableConfig) != nil {
			r.CheckResult = CheckTableFailed
		}
		results = append(results, r)
	}
	return CheckClickHouseTableConfig200JSONResponse{SourceDatabaseName: b.SourceDatabaseName, TableConfigCheckResults: results}, nil
}
