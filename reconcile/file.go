package reconcile

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"

	"github.com/gaussdb-tools/chreplication"
)

// MaxFileBytes bounds the apply file Parse reads: thousands of replications
// fit in far less.
const MaxFileBytes = 4 << 20

// maxFileProblems is how many problems of a bad file are listed.
const maxFileProblems = 20

// Declaration is a parsed apply file: the replications to have, by
// instance, in the order the file first names the instances.
type Declaration struct {
	Targets []Target
}

// Target is what the file wants of the ClickHouse node of one instance in
// one place (an endpoint and a project): the replications to have, in the
// order the file names them.
type Target struct {
	// Endpoint is the API endpoint the file gives for the instance (its
	// endpoint key, or its region's endpoint); "" means the caller's
	// default (Options.Endpoint).
	Endpoint string
	// ProjectID is the project the file gives for the instance; "" means
	// the caller's default (Options.ProjectID).
	ProjectID  string
	InstanceID string
	// Replications holds one request per database, each checked with
	// chreplication.ValidateReplication.
	Replications []chreplication.CreateReplicationRequest
}

// InvalidFileError lists what is wrong with an apply file. Nothing was
// sent. Each problem names the key (replications[0].databases[1]) and,
// where the file shows it, its line.
type InvalidFileError struct {
	// Name is the file's name as the caller gave it to Parse.
	Name     string
	Problems []string
}

func (e *InvalidFileError) Error() string {
	return e.Name + " is not a valid apply file: " + strings.Join(e.Problems, "; ")
}

// fileSpec is the file's shape. Pointers tell a key left out from an
// empty value.
type fileSpec struct {
	Replications *[]fileEntry `yaml:"replications" json:"replications"`
}

// fileEntry is one element of replications.
type fileEntry struct {
	InstanceID       string    `yaml:"instance_id" json:"instance_id"`
	SourceInstanceID string    `yaml:"source_instance_id" json:"source_instance_id"`
	SourceNodeID     string    `yaml:"source_node_id" json:"source_node_id"`
	Databases        *[]string `yaml:"databases" json:"databases"`
	ProjectID        string    `yaml:"project_id" json:"project_id"`
	Region           string    `yaml:"region" json:"region"`
	Endpoint         string    `yaml:"endpoint" json:"endpoint"`
}

// keysHint lists the file's keys, for an unknown key.
const keysHint = "the keys are replications, and in each replication instance_id, source_instance_id, source_node_id, databases, project_id, region and endpoint"

// Parse decodes and checks an apply file, YAML or JSON (a file whose first
// character other than white space is "{"), and returns what it wants of
// each instance. name is the file's name, used in errors only. Every
// problem is listed in one *InvalidFileError: unknown keys, keys named
// twice or spelled in another case, a second document or trailing data, an
// empty (null) key or list item, a bad ID, database name, region or
// endpoint, a database named twice for one instance, a file larger than
// MaxFileBytes. A YAML problem names its line; a JSON syntax or type error
// names its byte offset in data (and line and column). It sends nothing
// and is safe for concurrent use.
func Parse(name string, data []byte) (*Declaration, error) {
	if len(data) > MaxFileBytes {
		return nil, &InvalidFileError{Name: name, Problems: []string{fmt.Sprintf("larger than %d MiB", MaxFileBytes>>20)}}
	}
	spec, root, keyProblems, err := decode(data)
	if err != nil {
		return nil, &InvalidFileError{Name: name, Problems: []string{err.Error()}}
	}
	decl, problems := check(spec, locator{root})
	problems = append(keyProblems, problems...)
	if len(problems) > 0 {
		if len(problems) > maxFileProblems {
			n := len(problems) - maxFileProblems
			more := "problems"
			if n == 1 {
				more = "problem"
			}
			problems = append(problems[:maxFileProblems:maxFileProblems], fmt.Sprintf("and %d more %s", n, more))
		}
		return nil, &InvalidFileError{Name: name, Problems: problems}
	}
	return decl, nil
}

// bom is the UTF-8 byte order mark, which a file may start with.
var bom = []byte("\xef\xbb\xbf")

// decode reads YAML, or JSON when the file starts with "{", and returns the
// spec and the YAML node tree (JSON is YAML) for line numbers. Unknown keys
// (and keys spelled in another case) are returned as problems, each with
// its line, beside a spec read without them, so that the file's other
// problems are found too; any other error ends the reading.
func decode(data []byte) (*fileSpec, *yaml.Node, []string, error) {
	spec, root, keys, err := decodeFile(data)
	return spec, root, keys, err
}

func decodeFile(data []byte) (*fileSpec, *yaml.Node, []string, error) {
	skip := 0
	if bytes.HasPrefix(data, bom) {
		skip = len(bom)
	}
	body := data[skip:]
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 {
		return nil, nil, nil, errors.New("the file is empty; it lists the replications to have under the key replications")
	}
	var spec fileSpec
	isJSON := trimmed[0] == '{'
	if isJSON {
		// Unknown keys are the strict YAML reading's to report, all of
		// them with their lines.
		dec := json.NewDecoder(bytes.NewReader(body))
		if err := dec.Decode(&spec); err != nil {
			return nil, nil, nil, jsonProblem(err, data, skip)
		}
		end := dec.InputOffset()
		for end < int64(len(body)) && strings.ContainsRune(" \t\r\n", rune(body[end])) {
			end++
		}
		if _, err := dec.Token(); !errors.Is(err, io.EOF) {
			off := int64(skip) + end
			return nil, nil, nil, fmt.Errorf("JSON: %s: the file holds more than one JSON value", position(data, off))
		}
	}
	// encoding/json matches keys without regard to case and keeps the last
	// of repeated keys; read as YAML (which JSON is), the file must name
	// each key once, spelled exactly.
	format := "YAML"
	if isJSON {
		format = "JSON"
	}
	var strict fileSpec
	var keyProblems []string
	dec := yaml.NewDecoder(bytes.NewReader(body))
	dec.KnownFields(true)
	if err := dec.Decode(&strict); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, nil, nil, errors.New("the file holds no YAML document")
		}
		keys, other := unknownKeys(format, err)
		if other != nil {
			return nil, nil, nil, other
		}
		// Read the file again without them, for its other problems.
		keyProblems, strict = keys, fileSpec{}
		if err := yaml.Unmarshal(body, &strict); err != nil {
			return nil, nil, nil, yamlProblem(format, err)
		}
	}
	if !isJSON {
		var extra yaml.Node
		if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
			return nil, nil, nil, fmt.Errorf("YAML: line %d: the file holds more than one document (---); give one", extra.Line)
		}
		spec = strict
	}
	var root yaml.Node
	if err := yaml.Unmarshal(body, &root); err != nil {
		return nil, nil, nil, errors.New(format + ": " + printable(strings.TrimPrefix(err.Error(), "yaml: ")))
	}
	if err := checkNodes(&root); err != nil {
		return nil, nil, nil, errors.New(format + ": " + err.Error())
	}
	return &spec, &root, keyProblems, nil
}

// checkNodes refuses what the decoders pass over without a word: a null
// key (which KnownFields does not see) and a null item of a list (which
// decodes to nothing, so a database would silently drop out of the plan).
func checkNodes(doc *yaml.Node) error {
	var walk func(n *yaml.Node, depth int) error
	walk = func(n *yaml.Node, depth int) error {
		if depth > 64 {
			return fmt.Errorf("line %d: nested too deep", n.Line)
		}
		// An alias is walked where its anchor stands, not again here: a
		// file of nested aliases must not cost more than its size.
		switch n.Kind {
		case yaml.MappingNode:
			for i := 0; i+1 < len(n.Content); i += 2 {
				k := n.Content[i]
				if k.Kind == yaml.AliasNode && k.Alias != nil {
					k = k.Alias
				}
				if k.Kind != yaml.ScalarNode || k.Tag == "!!null" {
					return fmt.Errorf("line %d: a key is empty or not a name", n.Content[i].Line)
				}
				if err := walk(n.Content[i+1], depth+1); err != nil {
					return err
				}
			}
		case yaml.SequenceNode:
			for _, item := range n.Content {
				it := item
				if it.Kind == yaml.AliasNode && it.Alias != nil {
					it = it.Alias
				}
				if it.Kind == yaml.ScalarNode && it.Tag == "!!null" {
					return fmt.Errorf("line %d: an item of a list is empty (null)", item.Line)
				}
				if err := walk(item, depth+1); err != nil {
					return err
				}
			}
		case yaml.DocumentNode:
			for _, c := range n.Content {
				if err := walk(c, depth+1); err != nil {
					return err
				}
			}
		}
		return nil
	}
	return walk(doc, 0)
}

var (
	yamlUnknownField = regexp.MustCompile(`field (\S+) not found in type \S+`)
	yamlIntoType     = regexp.MustCompile(`into (\S+)`)
)

// goTypeNames says in the file's words what a Go type of fileSpec holds.
var goTypeNames = map[string]string{
	"reconcile.fileSpec":    "a mapping with the key replications",
	"reconcile.fileEntry":   "a mapping (instance_id, source_instance_id, databases, ...)",
	"[]reconcile.fileEntry": "a list of replications",
	"[]string":              "a list of database names",
	"string":                "a string",
}

// unknownKeys splits a strict YAML reading's error: the unknown keys it
// reports, each a problem with its line, or (when it reports anything
// else) the whole error as yamlProblem words it.
func unknownKeys(format string, err error) ([]string, error) {
	var te *yaml.TypeError
	if !errors.As(err, &te) {
		return nil, yamlProblem(format, err)
	}
	var keys []string
	for _, l := range te.Errors {
		if !yamlUnknownField.MatchString(l) {
			return nil, yamlProblem(format, err)
		}
		keys = append(keys, format+": "+printable(yamlUnknownField.ReplaceAllString(strings.TrimPrefix(l, "yaml: "), `unknown key "$1" (`+keysHint+`)`)))
	}
	return keys, nil
}

// yamlProblem rewrites a YAML error in the file's words: keys, not Go
// types.
func yamlProblem(format string, err error) error {
	var lines []string
	var te *yaml.TypeError
	if errors.As(err, &te) {
		lines = te.Errors
	} else {
		lines = []string{strings.TrimPrefix(err.Error(), "yaml: ")}
	}
	for i, l := range lines {
		l = yamlUnknownField.ReplaceAllString(l, `unknown key "$1" (`+keysHint+`)`)
		l = yamlIntoType.ReplaceAllStringFunc(l, func(m string) string {
			if name, ok := goTypeNames[strings.TrimPrefix(m, "into ")]; ok {
				return "where " + name + " belongs"
			}
			return m
		})
		lines[i] = printable(l)
	}
	return errors.New(format + ": " + strings.Join(lines, "; "))
}

// position says where byte offset off of data is: "offset 17 (line 2,
// column 5)", the line and column counted from 1, the column in bytes.
func position(data []byte, off int64) string {
	off = min(max(off, 0), int64(len(data)))
	before := data[:off]
	line := 1 + bytes.Count(before, []byte("\n"))
	col := int64(len(before)) - int64(bytes.LastIndexByte(before, '\n'))
	return "offset " + strconv.FormatInt(off, 10) + " (line " + strconv.Itoa(line) + ", column " + strconv.FormatInt(col, 10) + ")"
}

// jsonProblem rewrites a JSON error with its place in data (skip is the
// length of a byte order mark the decoder did not see) and the file's
// words.
func jsonProblem(err error, data []byte, skip int) error {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.Is(err, io.ErrUnexpectedEOF):
		return fmt.Errorf("JSON: %s: the file ends in the middle of a value", position(data, int64(len(data))))
	case errors.As(err, &se):
		// Offset is just past the byte that broke the syntax.
		return fmt.Errorf("JSON: %s: %s", position(data, int64(skip)+se.Offset-1), printable(se.Error()))
	case errors.As(err, &te):
		what := te.Type.String()
		if n, ok := goTypeNames[what]; ok {
			what = n
		}
		// Offset is where reading stopped: just past the value of the
		// wrong type.
		return fmt.Errorf("JSON: %s: %s: a %s where %s belongs", position(data, int64(skip)+te.Offset), printable(te.Field), te.Value, what)
	}
	msg := strings.TrimPrefix(err.Error(), "json: ")
	if rest, ok := strings.CutPrefix(msg, "unknown field "); ok {
		msg = "unknown key " + rest + " (" + keysHint + ")"
	}
	return errors.New("JSON: " + printable(msg))
}

// locator finds the line of a key of the file in its node tree.
type locator struct{ root *yaml.Node }

// value returns the value node of key in mapping m, or nil.
func value(m *yaml.Node, key string) *yaml.Node {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			v := m.Content[i+1]
			if v.Kind == yaml.AliasNode && v.Alias != nil {
				v = v.Alias
			}
			return v
		}
	}
	return nil
}

func item(s *yaml.Node, i int) *yaml.Node {
	if s == nil || s.Kind != yaml.SequenceNode || i >= len(s.Content) {
		return nil
	}
	v := s.Content[i]
	if v.Kind == yaml.AliasNode && v.Alias != nil {
		v = v.Alias
	}
	return v
}

// line returns " (line N)" for replications[i], its key (when not "") and
// the j-th item of that key's list (when j ≥ 0), or "" when the tree does
// not tell.
func (l locator) line(i int, key string, j int) string {
	if l.root == nil || len(l.root.Content) == 0 {
		return ""
	}
	entry := item(value(l.root.Content[0], "replications"), i)
	n := entry
	if key != "" {
		n = value(n, key)
	}
	if j >= 0 {
		n = item(n, j)
	}
	if n == nil || n.Line == 0 {
		// A key left out: the line of its entry.
		n = entry
	}
	if n == nil || n.Line == 0 {
		return ""
	}
	return " (line " + strconv.Itoa(n.Line) + ")"
}

// placeKey identifies an instance: the same instance ID in two projects or
// on two endpoints is two instances.
type placeKey struct{ endpoint, projectID, instanceID string }

// check checks every ID, database name, region and endpoint with the
// client's own checks and gathers the file's replications per instance.
func check(spec *fileSpec, loc locator) (*Declaration, []string) {
	var problems []string
	add := func(at, reason string) { problems = append(problems, at+": "+printable(reason)) }
	if spec.Replications == nil {
		add("replications", "missing: the file lists the replications to have under this key")
		return nil, problems
	}
	decl := &Declaration{}
	index := map[placeKey]int{}                   // instance → its Target
	firstSeen := map[placeKey]map[string]string{} // instance → database → where the file names it
	for i, e := range *spec.Replications {
		at := fmt.Sprintf("replications[%d]", i)
		ok := true
		for _, f := range []struct {
			key, value string
			optional   bool
		}{
			{"instance_id", e.InstanceID, false},
			{"source_instance_id", e.SourceInstanceID, false},
			{"source_node_id", e.SourceNodeID, true},
			{"project_id", e.ProjectID, true},
		} {
			if f.optional && f.value == "" {
				continue
			}
			if err := chreplication.ValidateID(f.value); err != nil {
				add(at+"."+f.key+loc.line(i, f.key, -1), reasonOf(err))
				ok = false
			}
		}
		endpoint, err := entryEndpoint(e)
		if err != nil {
			key := "endpoint"
			if e.Region != "" {
				key = "region"
			}
			add(at+"."+key+loc.line(i, key, -1), err.Error())
			ok = false
		}
		if e.Databases == nil {
			add(at+".databases"+loc.line(i, "", -1), "missing: list the databases to synchronise ([] for none)")
			continue
		}
		key := placeKey{endpoint, e.ProjectID, e.InstanceID}
		if _, seen := index[key]; ok && !seen {
			index[key] = len(decl.Targets)
			decl.Targets = append(decl.Targets, Target{Endpoint: endpoint, ProjectID: e.ProjectID, InstanceID: e.InstanceID})
			firstSeen[key] = map[string]string{}
		}
		for j, db := range *e.Databases {
			dbAt := fmt.Sprintf("%s.databases[%d]", at, j)
			where := loc.line(i, "databases", j)
			if err := chreplication.ValidateDatabaseName(db); err != nil {
				add(dbAt+where, reasonOf(err))
				continue
			}
			if !ok {
				continue
			}
			if first, dup := firstSeen[key][db]; dup {
				add(dbAt+where, fmt.Sprintf("%q is named twice for instance %s (first at %s)", db, e.InstanceID, first))
				continue
			}
			firstSeen[key][db] = dbAt
			req := chreplication.CreateReplicationRequest{SourceInstanceID: e.SourceInstanceID, SourceDatabase: db, SourceNodeID: e.SourceNodeID}
			if err := chreplication.ValidateReplication(e.InstanceID, req); err != nil {
				add(dbAt+where, reasonOf(err)) // the checks above make this unreachable; keep the client's word
				continue
			}
			t := &decl.Targets[index[key]]
			t.Replications = append(t.Replications, req)
		}
	}
	return decl, problems
}

// entryEndpoint returns the endpoint an entry names, through its region or
// its endpoint key; "" when it names neither.
func entryEndpoint(e fileEntry) (string, error) {
	switch {
	case e.Region != "" && e.Endpoint != "":
		return "", errors.New("give region or endpoint, not both")
	case e.Region != "":
		ep, err := chreplication.RegionEndpoint(e.Region)
		if err != nil {
			return "", errors.New(reasonOf(err))
		}
		return ep, nil
	case e.Endpoint != "":
		return checkEndpoint(e.Endpoint)
	}
	return "", nil
}

// checkEndpoint checks the endpoint key: an http or https URL with a host,
// no user information, query or fragment. It never echoes a URL that holds
// a password.
func checkEndpoint(s string) (string, error) {
	u, err := url.Parse(s)
	switch {
	case err != nil:
		return "", errors.New("is not a URL")
	case u.User != nil:
		return "", errors.New("must not hold a user name or password")
	case u.Scheme != "https" && u.Scheme != "http":
		return "", fmt.Errorf("%q must be an http or https URL, such as https://gaussdb.cn-north-4.myhuaweicloud.com", s)
	case u.Host == "":
		return "", fmt.Errorf("%q has no host", s)
	case u.RawQuery != "" || u.Fragment != "":
		return "", fmt.Errorf("%q must not have a query or fragment", s)
	}
	if _, port, err := net.SplitHostPort(u.Host); err == nil && port == "" {
		return "", fmt.Errorf("%q has an empty port", s)
	}
	return normalEndpoint(s), nil
}

// normalEndpoint is the form endpoints are compared in: no surrounding
// space, no trailing slash.
func normalEndpoint(s string) string { return strings.TrimRight(strings.TrimSpace(s), "/") }

// reasonOf returns the reason of an invalid-input error, without the field
// the client names (the file's key is named instead).
func reasonOf(err error) string {
	var ire *chreplication.InvalidRequestError
	if errors.As(err, &ire) {
		return ire.Reason
	}
	return strings.TrimPrefix(err.Error(), "chreplication: ")
}

// printable makes text from a file or the network safe to write to a
// terminal: control characters are shown quoted, invalid UTF-8 replaced.
func printable(s string) string {
	if !strings.ContainsFunc(s, unicode.IsControl) && utf8.ValidString(s) {
		return s
	}
	var b strings.Builder
	for _, r := range strings.ToValidUTF8(s, "\uFFFD") {
		if unicode.IsControl(r) {
			q := strconv.QuoteRune(r)
			b.WriteString(q[1 : len(q)-1])
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}
