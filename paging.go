package chreplication

import (
	"iter"
	"strconv"

	"github.com/gaussdb-tools/chreplication/wiretype"
)

// allPageSize is the page size the All... iterators ask for: the API's
// maximum, so the fewest requests are made.
const allPageSize = maxListLimit

// pageParams returns the limit and offset query parameters of a page:
// nil, so left out of the query, when zero (the API's default).
func pageParams(o ListOptions) (limit, offset *int32) {
	if o.Limit != 0 {
		l := int32(o.Limit)
		limit = &l
	}
	if o.Offset != 0 {
		n := int32(o.Offset)
		offset = &n
	}
	return limit, offset
}

// totalCount checks the total_count of a page answer: a count the paging
// parameters cannot reach makes the answer unusable.
func totalCount(a *reply, n wiretype.Int) (int, error) {
	if n < 0 || n > maxOffset {
		return 0, a.invalid("a total_count outside 0.." + strconv.Itoa(maxOffset))
	}
	return int(n), nil
}

// allPages iterates over every item of a paged list, fetching pages of
// allPageSize as the loop goes (fetch returns the page at offset and the
// total count): it holds one page at a time. An error is yielded once, with
// a zero item, and ends the iteration; breaking out of the loop stops
// fetching. An empty page, or an offset the paging parameters cannot
// carry, ends it too, whatever the total count says.
func allPages[T any](fetch func(offset int) ([]T, int, error)) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		offset := 0
		for {
			items, total, err := fetch(offset)
			if err != nil {
				var zero T
				yield(zero, err)
				return
			}
			for _, it := range items {
				if !yield(it, nil) {
					return
				}
			}
			offset += len(items)
			if len(items) == 0 || offset >= total || offset > maxOffset-allPageSize {
				return
			}
		}
	}
}
