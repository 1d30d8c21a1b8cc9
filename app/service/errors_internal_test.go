package service

import (
	"errors"
	"fmt"
	"testing"

	"ebill/lightclient"
)

// TestLightErrOneSentinel: each light node error maps onto exactly one service error, so the
// advice for an expired trust root ("re-import the network file") cannot be shadowed by a
// front end that tries ErrVerification first.
func TestLightErrOneSentinel(t *testing.T) {
	sentinels := []error{ErrTrustExpired, ErrAttack, ErrVerification, ErrNotFound, ErrNetworkDown, ErrTimeout}
	for _, c := range []struct {
		light, want error
	}{
		{lightclient.ErrTrustExpired, ErrTrustExpired},
		{lightclient.ErrAttack, ErrAttack},
		{lightclient.ErrVerification, ErrVerification},
		{lightclient.ErrClockDrift, ErrVerification},
		{lightclient.ErrNotFound, ErrNotFound},
		{lightclient.ErrUnavailable, ErrNetworkDown},
	} {
		err := lightErr(fmt.Errorf("light node: update headers: %w", c.light))
		for _, s := range sentinels {
			if errors.Is(err, s) != (s == c.want) {
				t.Errorf("%v: errors.Is(%v) = %v", c.light, s, errors.Is(err, s))
			}
		}
	}
}
