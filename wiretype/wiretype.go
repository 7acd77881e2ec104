// Package wiretype holds the few JSON types that openapi.yaml names with
// x-go-type: values the service is documented to send in more than one
// form, read in every form without failing the answer they are part of.
// It depends on the standard library only, so the generated packages may
// import it.
package wiretype

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"strconv"
	"strings"
)

// Int is an integer that the service may send as a JSON number (100,
// 100.0) or as a string holding one ("100", " 100 ", "100%"). null and ""
// read as 0. Anything else (a word, an object, an array, a boolean) is an
// error: the answer is broken, not merely unusual. It is written as a JSON
// number.
type Int int64

// UnmarshalJSON reads a number, a string holding one, "" or null.
func (i *Int) UnmarshalJSON(b []byte) error {
	n, err := readInt(b)
	*i = Int(n)
	return err
}

// MarshalJSON writes the integer as a JSON number.
func (i Int) MarshalJSON() ([]byte, error) {
	return strconv.AppendInt(nil, int64(i), 10), nil
}

// IntString is an integer that the schema says travels as a JSON string
// ("100"), and that the service's own examples show as a number (100). It
// is read from either, as Int is, and written as a string, as the schema
// (and every client generated from it) expects.
type IntString int64

// UnmarshalJSON reads a number, a string holding one, "" or null, as Int
// does.
func (i *IntString) UnmarshalJSON(b []byte) error {
	n, err := readInt(b)
	*i = IntString(n)
	return err
}

// MarshalJSON writes the integer as a JSON string, such as "100".
func (i IntString) MarshalJSON() ([]byte, error) {
	out := make([]byte, 0, 22)
	out = append(out, '"')
	out = strconv.AppendInt(out, int64(i), 10)
	return append(out, '"'), nil
}

var errNotInteger = errors.New("wiretype: not an integer, nor a string holding one")

// readInt reads the integer in a JSON value: a number (a fraction is
// truncated; beyond the int64 range it is clamped), a string holding a
// number (spaces and a trailing '%' allowed), "" or null (0).
func readInt(b []byte) (int64, error) {
	b = bytes.TrimSpace(b)
	if string(b) == "null" {
		return 0, nil
	}
	s := string(b)
	if len(b) > 0 && b[0] == '"' {
		if err := json.Unmarshal(b, &s); err != nil {
			return 0, errNotInteger
		}
		s = strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(s), "%"))
		if s == "" {
			return 0, nil
		}
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return n, nil
	}
	f, err := strconv.ParseFloat(s, 64)
	switch {
	case math.IsNaN(f) || math.IsInf(f, 0) && err == nil: // "NaN", "Inf" spelled out
		return 0, errNotInteger
	case f >= math.MaxInt64:
		return math.MaxInt64, nil
	case f <= math.MinInt64:
		return math.MinInt64, nil
	case err != nil:
		return 0, errNotInteger
	}
	return int64(f), nil
}
