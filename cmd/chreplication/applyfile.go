package main

import (
	"errors"
	"io"
	"os"
	"strings"

	"github.com/gaussdb-tools/chreplication/reconcile"
)

// maxApplyFileBytes bounds the file apply reads.
const maxApplyFileBytes = reconcile.MaxFileBytes

// invalidFileError lists what is wrong with an apply file (reconcile.Parse's
// problems). It exits with code 2: nothing was sent.
type invalidFileError struct {
	name     string
	problems []string
}

func (e *invalidFileError) Error() string {
	return e.name + " is not a valid apply file: " + strings.Join(e.problems, "; ")
}

// readApplyFile reads the file named by -f (apply, watch, exporter): "-"
// is standard input. A file that cannot be read, or larger than
// maxApplyFileBytes, is a usage error.
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

// parseApplyFile parses an apply file with reconcile.Parse; a bad file is
// an *invalidFileError.
func parseApplyFile(name string, data []byte) (*reconcile.Declaration, error) {
	d, err := reconcile.Parse(name, data)
	var ife *reconcile.InvalidFileError
	if errors.As(err, &ife) {
		return nil, &invalidFileError{name: ife.Name, problems: ife.Problems}
	}
	return d, err
}
