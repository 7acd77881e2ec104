package wiretype

import (
	"encoding/json"
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestReadEveryForm(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]int64{
		`100`: 100, `0`: 0, `-3`: -3, `100.0`: 100, `99.9`: 99, `1e2`: 100,
		`"100"`: 100, `" 42 "`: 42, `"60%"`: 60, `"7.5"`: 7, `"-1"`: -1,
		`null`: 0, `""`: 0, `" % "`: 0,
		`1e400`: math.MaxInt64, `-1e400`: math.MinInt64, `"9223372036854775808"`: math.MaxInt64,
	} {
		var s struct {
			A Int       `json:"a"`
			B IntString `json:"b"`
		}
		require.NoError(t, json.Unmarshal([]byte(`{"a":`+in+`,"b":`+in+`}`), &s), in)
		assert.Equal(t, want, int64(s.A), in)
		assert.Equal(t, want, int64(s.B), in)
	}
}

func TestNoIntegerIsAnError(t *testing.T) {
	t.Parallel()
	for _, in := range []string{``, `1x`, `"open`, `nul`, `"abc"`, `"many"`, `true`, `{"a":1}`, `[1]`, `"NaN"`, `"Inf"`, `"1e400x"`} {
		var i Int
		assert.Error(t, i.UnmarshalJSON([]byte(in)), in)
		var s IntString
		assert.Error(t, s.UnmarshalJSON([]byte(in)), in)
	}
}

func TestWrite(t *testing.T) {
	t.Parallel()
	b, err := json.Marshal(struct {
		A Int       `json:"a"`
		B IntString `json:"b"`
	}{A: 7, B: 100})
	require.NoError(t, err)
	assert.JSONEq(t, `{"a":7,"b":"100"}`, string(b))
}
