package ui

import (
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"ebill/app/bill"
	"ebill/app/wire"
	"ebill/lightclient"
)

// TestTranslations checks that both languages have the same keys, and that every key the code
// asks for exists: the literal ones in the sources and the ones made from a domain value.
func TestTranslations(t *testing.T) {
	l, err := newLocalizer(langZH)
	if err != nil {
		t.Fatal(err)
	}
	for a, b := range map[string]string{langZH: langEN, langEN: langZH} {
		for k := range l.msgs[a] {
			if _, ok := l.msgs[b][k]; !ok {
				t.Errorf("%q is in %s but not in %s", k, a, b)
			}
		}
	}
	need := map[string]bool{}
	files, _ := filepath.Glob("*.go")
	call := regexp.MustCompile(`\.(?:T|F)\("([^"]+)"[,)]`)
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range call.FindAllSubmatch(src, -1) {
			need[string(m[1])] = true
		}
	}
	for _, e := range explanations {
		need[e.what], need[e.next] = true, true
	}
	for _, k := range append(append(listColumns, sexKeys...), "form.bad.money", "form.bad.quantity", "form.bad.date") {
		need[k] = true
	}
	for _, c := range bill.Categories {
		need["cat."+string(c)] = true
	}
	for _, k := range kinds {
		need["kind."+string(k)] = true
	}
	for _, p := range payerTypes {
		need["payer."+string(p)] = true
	}
	for s := wire.StatusSubmitted; s <= wire.StatusReversed; s++ {
		need["status."+s.String()] = true
	}
	for e := wire.EventSubmitted; e <= wire.EventRedIssued; e++ {
		need["event."+e.String()] = true
	}
	for r := wire.RoleAdmin; r <= wire.RoleAuditor; r++ {
		need["role."+r.String()] = true
	}
	for s := range stageShare {
		need["stage."+string(s)] = true
	}
	for _, s := range []lightclient.State{lightclient.StateSyncing, lightclient.StateVerified, lightclient.StateAttack, lightclient.StateExpired} {
		need["light."+string(s)] = true
	}
	for _, r := range []string{"signature", "valid", "matches_record", "amount", "created", "duplicate"} {
		need["check."+r] = true
	}
	for k := range need {
		if _, ok := l.msgs[langZH][k]; !ok {
			t.Errorf("no message for %q", k)
		}
	}
}
