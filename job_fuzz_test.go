package chreplication

import (
	"encoding/json"
	"testing"
	"time"
)

// apiTimeLayout is the form the job API writes its times in.
const apiTimeLayout = "2006-01-02T15:04:05-0700"

// checkJobTime checks what parseJobTime made of s: the zero Time (not
// read), or a time in UTC that reads back the same from each form the
// client may meet it in (RFC 3339, the API's own) and that a Job encodes.
func checkJobTime(t *testing.T, s string) time.Time {
	t.Helper()
	got := parseJobTime(s)
	if got.IsZero() {
		return got
	}
	if got.Location() != time.UTC {
		t.Fatalf("parseJobTime(%q) = %s, not in UTC", s, got)
	}
	for _, layout := range []string{time.RFC3339Nano, apiTimeLayout} {
		text := got.Format(layout)
		want := got
		if layout == apiTimeLayout {
			want = got.Truncate(time.Second) // the API's form has no fraction
		}
		if back := parseJobTime(text); !back.Equal(want) || back.Location() != time.UTC {
			t.Fatalf("parseJobTime(%q) = %s, which does not read back from %q (got %s)", s, got, text, back)
		}
	}
	if _, err := json.Marshal(Job{ID: "j", Status: JobRunning, Created: got, Ended: got}); err != nil {
		t.Fatalf("parseJobTime(%q) = %s, which a Job does not encode: %v", s, got, err)
	}
	return got
}

// FuzzParseJobTime reads any text as a job timestamp: never a panic, and
// any value read is a time in UTC that reads back the same (checkJobTime).
func FuzzParseJobTime(f *testing.F) {
	for _, s := range []string{
		"2018-08-06T10:41:14+0800", "2018-08-06T10:41:14+0000", "2018-08-06T10:41:14-0930",
		"2018-08-06T02:41:14Z", "2018-08-06T10:41:14+08:00", "2018-08-06T10:41:14.123456789+08:00",
		"", "yesterday", "2018-08-06", "2018-08-06 10:41:14", "2018-08-06T10:41:14", "2018-08-06T10:41:14+08",
		"2018-13-06T10:41:14+0800", "2018-08-06T24:00:00+0000", "2018-08-06T10:41:14+2400",
		"0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z", "2018-08-06T1:41:14+0800", "2018-08-06T10:41:14.5+0800",
		"0000-01-01T00:00:00Z", "2018-08-06T10:41:14+0800 ", "\x002018-08-06T10:41:14+0800",
		// Valid in their offset, outside years 1..9999 in UTC.
		"0000-01-01T00:00:00+0800", "9999-12-31T23:59:59-0100", "0001-01-01T00:00:00+0100",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		checkJobTime(t, s)
	})
}

// FuzzJobTimeForms writes an instant in every form the job API is
// documented to use (an offset such as +0800, +0000, RFC 3339 with an
// offset or Z, with or without a fraction) and checks that parseJobTime
// reads each back as the same instant, in UTC.
func FuzzJobTimeForms(f *testing.F) {
	f.Add(int64(1533523274), uint32(0), int16(480)) // 2018-08-06T10:41:14+0800
	f.Add(int64(1533523274), uint32(0), int16(0))   // +0000
	f.Add(int64(1533523274), uint32(701000000), int16(-570))
	f.Add(int64(-62135596800), uint32(0), int16(0))         // 0001-01-01T00:00:00Z, the zero Time
	f.Add(int64(253402300799), uint32(999999999), int16(0)) // 9999-12-31T23:59:59.999999999Z
	f.Add(int64(0), uint32(1), int16(-1))
	f.Fuzz(func(t *testing.T, sec int64, nsec uint32, offMin int16) {
		// Times whose written form has a four-digit year, with offsets of
		// less than a day.
		const first, last = -62135596800 + 86400, 253402300799 - 86400 // 0001-01-02, 9999-12-30
		if sec < first || sec > last {
			sec = first + int64(uint64(sec)%uint64(last-first+1))
		}
		offset := int(offMin) % (24 * 60) * 60
		at := time.Unix(sec, int64(nsec%1e9)).In(time.FixedZone("", offset))
		whole := at.Truncate(time.Second)

		forms := []struct {
			text string
			want time.Time
		}{
			{at.Format(apiTimeLayout), whole},
			{at.UTC().Format(apiTimeLayout), whole}, // +0000
			{at.Format(time.RFC3339), whole},
			{at.UTC().Format(time.RFC3339), whole}, // Z
			{at.Format(time.RFC3339Nano), at},
			{at.UTC().Format(time.RFC3339Nano), at},
		}
		for _, form := range forms {
			got := checkJobTime(t, form.text)
			if !got.Equal(form.want) {
				t.Fatalf("parseJobTime(%q) = %s, want %s", form.text, got, form.want.UTC())
			}
		}
	})
}
