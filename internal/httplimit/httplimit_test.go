package httplimit_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"ebill/internal/httplimit"
	"ebill/internal/httplimit/httplimittest"
)

// A node that answers with an endless body costs a reader MaxBody bytes and ErrTooLarge;
// an answer of exactly MaxBody bytes is read whole.
func TestTransport(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	flood := httplimittest.NewFlood(t)
	serve := func(h http.HandlerFunc) string {
		srv := httptest.NewServer(h)
		t.Cleanup(srv.Close)
		return srv.URL
	}
	exact := serve(func(w http.ResponseWriter, _ *http.Request) {
		w.Write(bytes.Repeat([]byte("A"), httplimit.MaxBody))
	})
	claims := serve(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Length", strconv.Itoa(httplimit.MaxBody+1))
		w.WriteHeader(http.StatusOK)
	})
	hc := &http.Client{Transport: &httplimit.Transport{}}
	get := func(url string) (int, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return 0, err
		}
		resp, err := hc.Do(req)
		if err != nil {
			return 0, err
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		return len(b), err
	}
	for _, tc := range []struct {
		name  string
		read  func() (int, error)
		wantN int
		want  error
	}{
		{"endless body", func() (int, error) { return get(flood.URL) }, httplimit.MaxBody, httplimit.ErrTooLarge},
		{"body of exactly the limit", func() (int, error) { return get(exact) }, httplimit.MaxBody, nil},
		{"length above the limit", func() (int, error) { return get(claims) }, 0, httplimit.ErrTooLarge},
		{"CometBFT client, endless body", func() (int, error) {
			c, err := httplimit.RPC(flood.URL)
			if err != nil {
				return 0, err
			}
			_, err = c.Status(ctx)
			return 0, err
		}, 0, httplimit.ErrTooLarge},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n, err := tc.read()
			if !errors.Is(err, tc.want) || n != tc.wantN {
				t.Errorf("read %d bytes, %v; want %d, %v", n, err, tc.wantN, tc.want)
			}
		})
	}
	if flood.Drained() {
		t.Error("a reader took the whole flood")
	}
}
