package chreplication

import (
	"strconv"
	"unicode"
	"unicode/utf8"
)

// The limits below mirror openapi.yaml: the spec's ID and DatabaseName
// schemas and the list parameters. A differential fuzz test keeps them in
// step with the spec.
const (
	maxIDLen       = 64
	maxDatabaseLen = 64
	maxListLimit   = 100
)

// quote returns s quoted for an error message, cut to a readable length.
func quote(s string) string {
	const max = 40
	if len(s) > max {
		cut := max
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		return strconv.Quote(s[:cut]) + "... (" + strconv.Itoa(len(s)) + " bytes)"
	}
	return strconv.Quote(s)
}

func invalid(field, reason string) error {
	return &InvalidRequestError{Field: field, Reason: reason}
}

// checkID checks an identifier (project, instance, node or job ID): 1 to 64
// characters from A-Z a-z 0-9 - _, starting with a letter or digit. That
// accepts every real form (32-hex project IDs, instance IDs such as
// 54e42160670e48e789af7075e1efea1fin16, UUIDs) and keeps anything that could
// change the meaning of a URL (/, ., ?, #, %, spaces) out of it.
func checkID(field, id string) error {
	switch {
	case id == "":
		return invalid(field, "must not be empty")
	case len(id) > maxIDLen:
		return invalid(field, quote(id)+" is longer than "+strconv.Itoa(maxIDLen)+" characters")
	case !isAlnum(id[0]):
		return invalid(field, quote(id)+" must start with a letter or digit")
	}
	for i := 1; i < len(id); i++ {
		if c := id[i]; !isAlnum(c) && c != '-' && c != '_' {
			return invalid(field, quote(id)+" may hold only letters, digits, '-' and '_'")
		}
	}
	return nil
}

// checkOptionalID is checkID for an ID that may be left out ("").
func checkOptionalID(field, id string) error {
	if id == "" {
		return nil
	}
	return checkID(field, id)
}

func isAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// checkDatabase checks a MySQL database name: 1 to 64 characters, none of
// them '/', '\', '.' or a control character, not ending in a space. Spaces and
// non-ASCII letters are legal (they are escaped in paths).
func checkDatabase(field, name string) error {
	if name == "" {
		return invalid(field, "must not be empty")
	}
	if !utf8.ValidString(name) {
		return invalid(field, quote(name)+" is not valid UTF-8")
	}
	if n := utf8.RuneCountInString(name); n > maxDatabaseLen {
		return invalid(field, quote(name)+" is longer than "+strconv.Itoa(maxDatabaseLen)+" characters")
	}
	for _, r := range name {
		if r == '/' || r == '\\' || r == '.' || unicode.IsControl(r) {
			return invalid(field, quote(name)+" must not contain '/', '\\', '.' or control characters")
		}
	}
	if name[len(name)-1] == ' ' {
		return invalid(field, quote(name)+" must not end in a space")
	}
	return nil
}

// checkLanguage checks an X-Language value.
func checkLanguage(lang string) error {
	switch lang {
	case "en-us", "zh-cn":
		return nil
	}
	return invalid("language", quote(lang)+" is not one of en-us, zh-cn")
}

// checkListOptions checks paging options; zero values mean the API default.
func checkListOptions(o ListOptions) error {
	if o.Limit < 0 || o.Limit > maxListLimit {
		return invalid("Limit", strconv.Itoa(o.Limit)+" is outside 1.."+strconv.Itoa(maxListLimit)+" (0 for the default)")
	}
	if o.Offset < 0 {
		return invalid("Offset", strconv.Itoa(o.Offset)+" is negative")
	}
	if o.Offset > maxOffset {
		return invalid("Offset", strconv.Itoa(o.Offset)+" is larger than "+strconv.Itoa(maxOffset))
	}
	return nil
}

// maxOffset is the largest offset the wire format (int32) can carry.
const maxOffset = 1<<31 - 1
