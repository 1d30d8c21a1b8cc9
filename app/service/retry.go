package service

import (
	"context"
	"errors"
	"time"

	"ebill/app/wire"
)

// Retryable reports whether err may pass if the same work is tried again later: the
// network did not answer (in time), or the node held too many of the signer's transactions.
// A refusal, a bad bill or a failed verification is final, and so is a cancelled context.
func Retryable(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) {
		return false
	}
	if r, ok := errors.AsType[*wire.Refusal](err); ok {
		return r.Code == wire.CodeMempoolQuota || r.Code == wire.CodeReplay
	}
	return errors.Is(err, ErrTimeout) || errors.Is(err, ErrNetworkDown)
}

// retryPause is the pause before the n-th retry (from 1): doubling from a quarter second,
// so a stalled node gets time to recover, capped so a long loop still moves on.
func retryPause(n int) time.Duration {
	return min(250*time.Millisecond<<min(n-1, 8), 8*time.Second)
}

// pause waits for d or until ctx ends.
func pause(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// retryAttempts bounds the tries of one read by retrying.
const retryAttempts = 4

// retrying runs f until it succeeds, fails for good, or has been tried retryAttempts times.
func retrying[T any](ctx context.Context, f func() (T, error)) (T, error) {
	for n := 1; ; n++ {
		x, err := f()
		if !Retryable(err) || n == retryAttempts {
			return x, err
		}
		if perr := pause(ctx, retryPause(n)); perr != nil {
			return x, err
		}
	}
}
