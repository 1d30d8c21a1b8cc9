// Package syslocale drops a C or POSIX locale from the environment before Fyne reads it: Fyne
// cannot parse one and logs an error about it at start-up, while the desk simply falls back
// to Chinese. It must stay free of other ebill and Fyne imports: Go initialises packages in
// import-path order where the dependencies allow, and "ebill/…" comes before "fyne.io/…", so
// this init runs before Fyne's language package looks at the locale.
package syslocale

import (
	"os"
	"strings"
)

func init() {
	for _, k := range []string{"LC_ALL", "LC_MESSAGES", "LANG"} {
		if v := os.Getenv(k); v == "C" || v == "POSIX" || strings.HasPrefix(v, "C.") {
			os.Unsetenv(k)
		}
	}
	if os.Getenv("LANG") == "" && os.Getenv("LC_ALL") == "" && os.Getenv("LC_MESSAGES") == "" {
		os.Setenv("LANG", "zh_CN.UTF-8")
	}
}
