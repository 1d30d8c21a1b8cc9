package main

import (
	"context"
	"errors"
	"fmt"

	"ebill/app/service"
	"ebill/cmd/internal/cmdline"
)

// queuePage is how many queued bills one verified list request asks for.
const queuePage = 100

func init() {
	for _, r := range []cmdline.Command[*cli]{
		{Name: "review list", Usage: "the bureau's review queue",
			Run: func(c *cli, args []string) error { return c.onDeskNoArgs("review list", args, c.reviewList) }},
		{Name: "review auto", Usage: "approve every queued bill that passes every check",
			Run: func(c *cli, args []string) error { return c.onDeskNoArgs("review auto", args, c.reviewAuto) }},
		{Name: "review show", Args: "ID", Usage: "the decrypted bill with the automatic checks",
			Run: func(c *cli, args []string) error {
				pos, err := parse(c.flags("review show"), args, 1, 1, "a bill ID")
				if err != nil {
					return err
				}
				return c.onDesk(func(ctx context.Context, d *service.Desk) error {
					r, err := d.Review(ctx, pos[0])
					if err != nil {
						return fmt.Errorf("review %s: %w", pos[0], err)
					}
					return c.printReview(r)
				})
			}},
		{Name: "review approve", Args: "ID", Usage: "countersign and approve",
			Run: func(c *cli, args []string) error {
				return c.transition("review approve", args, nil, "approved",
					func(ctx context.Context, d *service.Desk, id, _ string) (*service.View, error) {
						return d.Approve(ctx, id, quiet)
					})
			}},
		{Name: "review reject", Args: "ID --reason R", Usage: "reject with a reason",
			Run: func(c *cli, args []string) error {
				return c.transition("review reject", args, &reason{}, "rejected",
					func(ctx context.Context, d *service.Desk, id, why string) (*service.View, error) {
						return d.Reject(ctx, id, why, quiet)
					})
			}},
	} {
		program.Register(r)
	}
}

// onDeskNoArgs runs a command of no arguments on the desk.
func (c *cli) onDeskNoArgs(name string, args []string, do func(ctx context.Context, d *service.Desk) error) error {
	if _, err := parse(c.flags(name), args, 0, 0, ""); err != nil {
		return err
	}
	return c.onDesk(do)
}

func (c *cli) reviewList(ctx context.Context, d *service.Desk) error {
	var all []viewJSON
	for cursor := uint64(0); ; {
		page, err := d.Queue(ctx, cursor, queuePage)
		if err != nil {
			return fmt.Errorf("review queue: %w", err)
		}
		for _, v := range page.Bills {
			all = append(all, toJSON(v))
		}
		if page.Next == 0 {
			break
		}
		cursor = page.Next
	}
	if c.json {
		if all == nil {
			all = []viewJSON{}
		}
		return c.printJSON(map[string]any{"queue": all})
	}
	if len(all) == 0 {
		fmt.Fprintln(c.stdout, "the review queue is empty")
		return nil
	}
	for _, v := range all {
		fmt.Fprintf(c.stdout, "%s  %-10s %-11s %-20s %10s  rev %d\n", v.ID, v.Org, v.Kind, v.Serial, v.Total, v.Revision)
	}
	return nil
}

type checkJSON struct {
	Rule string `json:"rule"`
	OK   bool   `json:"ok"`
	ZH   string `json:"zh,omitempty"`
	EN   string `json:"en,omitempty"`
}

func checksJSON(cs []service.Check) []checkJSON {
	out := make([]checkJSON, len(cs))
	for i, ch := range cs {
		out[i] = checkJSON(ch)
	}
	return out
}

func (c *cli) printReview(r *service.Review) error {
	if c.json {
		return c.printJSON(struct {
			viewJSON
			Passed bool        `json:"passed"`
			Checks []checkJSON `json:"checks"`
		}{toJSON(r.View), r.Passed(), checksJSON(r.Checks)})
	}
	if err := c.printView("", r.View); err != nil {
		return err
	}
	for _, ch := range r.Checks {
		if ch.OK {
			fmt.Fprintf(c.stdout, "check ok    %s\n", ch.Rule)
		} else {
			fmt.Fprintf(c.stdout, "check FAIL  %s: %s / %s\n", ch.Rule, ch.ZH, ch.EN)
		}
	}
	return nil
}

func (c *cli) reviewAuto(ctx context.Context, d *service.Desk) error {
	rep, err := d.AutoReview(ctx, quiet)
	if err != nil {
		return fmt.Errorf("automatic review: %w", err)
	}
	type held struct {
		ID     string      `json:"id"`
		Checks []checkJSON `json:"checks"`
	}
	hs := make([]held, len(rep.Held))
	for i, r := range rep.Held {
		hs[i] = held{r.ID, checksJSON(r.Checks)}
	}
	fails := make([]string, len(rep.Failed))
	for i, e := range rep.Failed {
		fails[i] = e.Error()
	}
	if c.json {
		if err := c.printJSON(map[string]any{"approved": rep.Approved, "held": hs, "failed": fails}); err != nil {
			return err
		}
	} else {
		fmt.Fprintf(c.stdout, "approved %d, held %d for a clerk, failed %d\n", rep.Approved, len(hs), len(fails))
		for _, h := range hs {
			for _, ch := range h.Checks {
				if !ch.OK {
					fmt.Fprintf(c.stdout, "held    %s: %s: %s / %s\n", h.ID, ch.Rule, ch.ZH, ch.EN)
				}
			}
		}
		for _, f := range fails {
			fmt.Fprintf(c.stdout, "FAILED  %s\n", f)
		}
	}
	if len(rep.Failed) > 0 {
		return fmt.Errorf("automatic review: %d bills could not be reviewed: %w", len(rep.Failed), errors.Join(rep.Failed...))
	}
	return nil
}
