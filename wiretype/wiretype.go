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
// 100.0) or as a string of one ("100", " 100 ", "100%"). null, "", and a
// value that holds no integer read as 0: the field is informative, and an
// odd value in it must not make the whole answer unreadable. It is written
// as a JSON number.
type Int int64

// UnmarshalJSON reads a number, a string holding one, or null. Only input
// that is not JSON at all is an error.
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

// UnmarshalJSON reads a number, a string holding one, or null, as Int does.
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

var errNotJSON = errors.New("wiretype: not a JSON value")

// readInt reads the integer in a JSON value: a number (a fraction is
// truncated; out of the int64 range is clamped), a string holding a number
// (spaces and a trailing '%' allowed), or anything else as 0. It fails only
// on bytes that are not one JSON value.
func readInt(b []byte) (int64, error) {
	b = bytes.TrimSpace(b)
	if len(b) == 0 {
		return 0, errNotJSON
	}
	switch b[0] {
	case '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return 0, err
		}
		s = strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(s), "%"))
		return parseNumber(s), nil
	case '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
		if !json.Valid(b) {
			return 0, errNotJSON
		}
		return parseNumber(string(b)), nil
	}
	// null, true, false, an object or an array: no integer in it.
	if !json.Valid(b) {
		return 0, errNotJSON
	}
	return 0, nil
}

// parseNumber reads s as an integer, or as a float that it truncates and
// clamps to the int64 range; anything else is 0.
func parseNumber(s string) int64 {
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return n
	}
	f, err := strconv.ParseFloat(s, 64)
	switch {
	case err != nil && f == 0, math.IsNaN(f):
		return 0
	case f >= math.MaxInt64:
		return math.MaxInt64
	case f <= math.MinInt64:
		return math.MinInt64
	}
	return int64(f)
}
