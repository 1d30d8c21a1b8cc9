package bill

import (
	"cmp"
	"slices"
)

// SortedItems gives the items in the standard category order of Categories, keeping the
// bill's order within a category, as they are printed. Unknown categories come last.
func (b *Bill) SortedItems() []Item {
	items := slices.Clone(b.Items)
	slices.SortStableFunc(items, func(x, y Item) int { return cmp.Compare(categoryRank(x.Category), categoryRank(y.Category)) })
	return items
}

func categoryRank(c Category) int {
	if i := slices.Index(Categories, c); i >= 0 {
		return i
	}
	return len(Categories)
}
