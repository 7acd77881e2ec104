package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/gaussdb-tools/chreplication"
)

// maxApplyFileBytes bounds the file apply reads: thousands of replications
// fit in far less.
const maxApplyFileBytes = 4 << 20

// maxFileProblems is how many problems of a bad file are listed.
const maxFileProblems = 20

// applySpec is the file apply reads. Pointers tell a key left out from an
// empty value.
type applySpec struct {
	Replications *[]applyEntry `yaml:"replications" json:"replications"`
}

// applyEntry is one element of replications: databases of one source
// instance synchronised into the ClickHouse node of one instance.
type applyEntry struct {
	InstanceID       string    `yaml:"instance_id" json:"instance_id"`
	SourceInstanceID string    `yaml:"source_instance_id" json:"source_instance_id"`
	SourceNodeID     string    `yaml:"source_node_id" json:"source_node_id"`
	Databases        *[]string `yaml:"databases" json:"databases"`
}

// target is what the file wants of one instance: the replications to have,
// in the order the file names them.
type target struct {
	instanceID string
	wanted     []chreplication.CreateReplicationRequest
}

// invalidFileError lists what is wrong with an apply file. It exits with
// code 2: nothing was sent.
type invalidFileError struct {
	name     string
	problems []string
}

func (e *invalidFileError) Error() string {
	return e.name + " is not a valid apply file: " + strings.Join(e.problems, "; ")
}

// readApplyFile reads the file named by -f: "-" is standard input. A file
// that cannot be read is a usage error.
func readApplyFile(path string, stdin io.Reader) (name string, data []byte, err error) {
	name = path
	var r io.Reader
	if path == "-" {
		name = "standard input"
		if stdin == nil {
			return name, nil, usageErrorf("-f -: no standard input")
		}
		r = stdin
	} else {
		f, err := os.Open(path)
		if err != nil {
			var pe *os.PathError
			if errors.As(err, &pe) {
				err = pe.Err
			}
			return name, nil, usageErrorf("-f %s: %s", clip(path), err)
		}
		defer f.Close()
		r = f
	}
	data, err = io.ReadAll(io.LimitReader(r, maxApplyFileBytes+1))
	if err != nil {
		return name, nil, usageErrorf("-f %s: reading: %s", clip(path), err)
	}
	if len(data) > maxApplyFileBytes {
		return name, nil, usageErrorf("-f %s: larger than %d MiB", clip(path), maxApplyFileBytes>>20)
	}
	return name, data, nil
}

// parseApplyFile decodes and checks an apply file and returns what it wants
// of each instance, in the order the file first names the instances. Every
// problem is listed in one *invalidFileError; nothing is sent.
func parseApplyFile(name string, data []byte) ([]*target, error) {
	spec, err := decodeApplyFile(data)
	if err != nil {
		return nil, &invalidFileError{name: name, problems: []string{err.Error()}}
	}
	targets, problems := checkApplySpec(spec)
	if len(problems) > 0 {
		if len(problems) > maxFileProblems {
			n := len(problems) - maxFileProblems
			problems = append(problems[:maxFileProblems:maxFileProblems], fmt.Sprintf("and %d more %s", n, plural(n, "problem", "problems")))
		}
		return nil, &invalidFileError{name: name, problems: problems}
	}
	return targets, nil
}

// decodeApplyFile reads YAML, or JSON when the file starts with "{". Unknown
// keys, a second document and trailing data are refused.
func decodeApplyFile(data []byte) (*applySpec, error) {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	trimmed := bytes.TrimSpace(data)
	if len(trimmed) == 0 {
		return nil, errors.New("the file is empty; it lists the replications to have under the key replications")
	}
	var spec applySpec
	if trimmed[0] == '{' {
		dec := json.NewDecoder(bytes.NewReader(trimmed))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&spec); err != nil {
			return nil, jsonProblem(err, trimmed)
		}
		if _, err := dec.Token(); !errors.Is(err, io.EOF) {
			return nil, errors.New("JSON: the file holds more than one JSON value")
		}
		// encoding/json matches keys without regard to case and keeps the
		// last of repeated keys; read as YAML (which JSON is), the file
		// must name each key once, spelled exactly.
		var strict applySpec
		ydec := yaml.NewDecoder(bytes.NewReader(trimmed))
		ydec.KnownFields(true)
		if err := ydec.Decode(&strict); err != nil {
			return nil, errors.New("JSON" + strings.TrimPrefix(yamlProblem(err).Error(), "YAML"))
		}
		if err := checkNodes(trimmed); err != nil {
			return nil, errors.New("JSON: " + err.Error())
		}
		return &spec, nil
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&spec); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, errors.New("the file holds no YAML document")
		}
		return nil, yamlProblem(err)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return nil, errors.New("YAML: the file holds more than one document (---); give one")
	}
	if err := checkNodes(data); err != nil {
		return nil, errors.New("YAML: " + err.Error())
	}
	return &spec, nil
}

// checkNodes refuses what the decoders pass over without a word: a null
// key (which KnownFields does not see) and a null item of a list (which
// decodes to nothing, so a database would silently drop out of the plan).
func checkNodes(data []byte) error {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return errors.New(printable(strings.TrimPrefix(err.Error(), "yaml: ")))
	}
	var walk func(n *yaml.Node, depth int) error
	walk = func(n *yaml.Node, depth int) error {
		if depth > 64 {
			return errors.New("nested too deep")
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
					return fmt.Errorf("line %d: a key is empty or not a name", k.Line)
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
	return walk(&doc, 0)
}

var (
	yamlUnknownField = regexp.MustCompile(`field (\S+) not found in type \S+`)
	yamlIntoType     = regexp.MustCompile(`into (\S+)`)
)

// goTypeNames says in the file's words what a Go type of applySpec holds.
var goTypeNames = map[string]string{
	"main.applySpec":    "a mapping with the key replications",
	"main.applyEntry":   "a mapping (instance_id, source_instance_id, source_node_id, databases)",
	"[]main.applyEntry": "a list of replications",
	"[]string":          "a list of database names",
	"string":            "a string",
}

// yamlProblem rewrites a YAML error in the file's words: keys, not Go
// types.
func yamlProblem(err error) error {
	var lines []string
	var te *yaml.TypeError
	if errors.As(err, &te) {
		lines = te.Errors
	} else {
		lines = []string{strings.TrimPrefix(err.Error(), "yaml: ")}
	}
	for i, l := range lines {
		l = yamlUnknownField.ReplaceAllString(l, `unknown key "$1" (the keys are replications, and in each replication instance_id, source_instance_id, source_node_id and databases)`)
		l = yamlIntoType.ReplaceAllStringFunc(l, func(m string) string {
			if name, ok := goTypeNames[strings.TrimPrefix(m, "into ")]; ok {
				return "where " + name + " belongs"
			}
			return m
		})
		lines[i] = printable(l)
	}
	return errors.New("YAML: " + strings.Join(lines, "; "))
}

// jsonProblem rewrites a JSON error with a line number and the file's
// words.
func jsonProblem(err error, data []byte) error {
	line := func(offset int64) string {
		offset = min(max(offset, 0), int64(len(data)))
		return "line " + strconv.Itoa(1+bytes.Count(data[:offset], []byte("\n"))) + ": "
	}
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.Is(err, io.ErrUnexpectedEOF):
		return errors.New("JSON: the file ends in the middle of a value")
	case errors.As(err, &se):
		return errors.New("JSON: " + line(se.Offset) + se.Error())
	case errors.As(err, &te):
		what := te.Type.String()
		if n, ok := goTypeNames[what]; ok {
			what = n
		}
		return fmt.Errorf("JSON: %s%s: a %s where %s belongs", line(te.Offset), printable(te.Field), te.Value, what)
	}
	msg := strings.TrimPrefix(err.Error(), "json: ")
	if rest, ok := strings.CutPrefix(msg, "unknown field "); ok {
		msg = "unknown key " + rest + " (the keys are replications, and in each replication instance_id, source_instance_id, source_node_id and databases)"
	}
	return errors.New("JSON: " + printable(msg))
}

// checkApplySpec checks every ID and database name with the client's own
// checks and gathers the file's replications per instance.
func checkApplySpec(spec *applySpec) ([]*target, []string) {
	var problems []string
	add := func(at, reason string) { problems = append(problems, at+": "+printable(reason)) }
	if spec.Replications == nil {
		add("replications", "missing: the file lists the replications to have under this key")
		return nil, problems
	}
	var targets []*target
	byInstance := map[string]*target{}
	firstSeen := map[string]map[string]string{} // instance → database → where the file names it
	for i, e := range *spec.Replications {
		at := fmt.Sprintf("replications[%d]", i)
		idsOK := true
		for _, f := range []struct {
			key, value string
			optional   bool
		}{
			{"instance_id", e.InstanceID, false},
			{"source_instance_id", e.SourceInstanceID, false},
			{"source_node_id", e.SourceNodeID, true},
		} {
			if f.optional && f.value == "" {
				continue
			}
			if err := chreplication.ValidateID(f.value); err != nil {
				add(at+"."+f.key, reasonOf(err))
				idsOK = false
			}
		}
		if e.Databases == nil {
			add(at+".databases", "missing: list the databases to synchronise ([] for none)")
			continue
		}
		t := byInstance[e.InstanceID]
		if idsOK && t == nil {
			t = &target{instanceID: e.InstanceID}
			byInstance[e.InstanceID] = t
			targets = append(targets, t)
			firstSeen[e.InstanceID] = map[string]string{}
		}
		for j, db := range *e.Databases {
			dbAt := fmt.Sprintf("%s.databases[%d]", at, j)
			if err := chreplication.ValidateDatabaseName(db); err != nil {
				add(dbAt, reasonOf(err))
				continue
			}
			if !idsOK {
				continue
			}
			if first, dup := firstSeen[e.InstanceID][db]; dup {
				add(dbAt, fmt.Sprintf("%q is named twice for instance %s (first at %s)", db, e.InstanceID, first))
				continue
			}
			firstSeen[e.InstanceID][db] = dbAt
			req := chreplication.CreateReplicationRequest{SourceInstanceID: e.SourceInstanceID, SourceDatabase: db, SourceNodeID: e.SourceNodeID}
			if err := chreplication.ValidateReplication(e.InstanceID, req); err != nil {
				add(dbAt, reasonOf(err)) // the checks above make this unreachable; keep the client's word
				continue
			}
			t.wanted = append(t.wanted, req)
		}
	}
	return targets, problems
}

// reasonOf returns the reason of an invalid-input error, without the field
// the client names (the file's key is named instead).
func reasonOf(err error) string {
	var ire *chreplication.InvalidRequestError
	if errors.As(err, &ire) {
		return ire.Reason
	}
	return trimPrefix(err.Error())
}
