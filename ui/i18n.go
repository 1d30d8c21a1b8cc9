package ui

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"strings"

	"fyne.io/fyne/v2/lang"

	"ebill/assets"
)

// Languages the desk speaks, Chinese first: it is the cashier's language and the fallback for
// a system locale we have no messages for (LANG=C on a server console included).
const (
	langZH = "zh"
	langEN = "en"
)

// localizer looks messages up in the chosen language. Fyne's lang package follows the system
// locale and cannot switch while running, so the desk keeps its own lookup, fed from the same
// files, and rebuilds its screens when the setting changes.
type localizer struct {
	lang string
	msgs map[string]map[string]string // language → key → text
}

var translationFiles = map[string]string{langZH: "i18n/zh_Hans.json", langEN: "i18n/en.json"}

func newLocalizer(language string) (*localizer, error) {
	// Fyne's own widgets (dialog buttons, entry menus) read these through lang.L. A failure
	// here is a packaging defect that the reading below reports as well.
	_ = lang.AddTranslationsFS(assets.Translations, "i18n")
	l := &localizer{msgs: map[string]map[string]string{}}
	for code, name := range translationFiles {
		data, err := fs.ReadFile(assets.Translations, name)
		if err != nil {
			return nil, err
		}
		m := map[string]string{}
		if err := json.Unmarshal(data, &m); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		l.msgs[code] = m
	}
	l.set(language)
	return l, nil
}

// set chooses the language; anything but English is Chinese.
func (l *localizer) set(language string) {
	l.lang = langZH
	if strings.HasPrefix(language, langEN) {
		l.lang = langEN
	}
}

// T is the message for key; a key missing from the chosen language falls back to Chinese,
// then to the key itself, so a gap shows up on screen and in the translation test rather
// than as an empty label.
func (l *localizer) T(key string) string {
	if s, ok := l.msgs[l.lang][key]; ok {
		return s
	}
	if s, ok := l.msgs[langZH][key]; ok {
		return s
	}
	return key
}

// F formats the message for key with args.
func (l *localizer) F(key string, args ...any) string { return fmt.Sprintf(l.T(key), args...) }

// pick chooses between the Chinese and English texts that the domain packages carry
// themselves (bill.Problem, service.Check).
func (l *localizer) pick(zh, en string) string {
	if l.lang == langEN && en != "" {
		return en
	}
	return zh
}
