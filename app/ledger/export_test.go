package ledger

// Each calls fn with every key and value of the latest committed state, in key order,
// until fn returns false.
func (a *App) Each(fn func(key, value []byte) bool) error {
	a.cmu.RLock()
	defer a.cmu.RUnlock()
	if a.committed == nil {
		return nil
	}
	_, err := a.committed.Iterate(func(k, v []byte) bool { return !fn(k, v) })
	return err
}
