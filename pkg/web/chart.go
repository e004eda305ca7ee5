package web

import (
	"fmt"
	"html/template"
	"strings"
)

// chart is the team view's density chart, drawn on the server as SVG: one
// bar per week of moments received, with the week's reach as a figure
// under it. It carries its own text alternative (a table of the same
// numbers follows it on the page).
type chart struct {
	SVG   template.HTML
	Weeks []weekFigures
}

// Chart geometry, in SVG user units.
const (
	chartW, chartH   = 720, 240
	padL, padR       = 44, 12
	padTop, padBelow = 16, 44
)

// weekChart draws weeks as bars. Every value in the SVG is a number the
// code made or escaped text, so the template.HTML is safe.
func weekChart(weeks []weekFigures) chart {
	peak := 1
	for _, w := range weeks {
		peak = max(peak, w.Received)
	}
	step := niceStep(peak)
	top := ((peak + step - 1) / step) * step
	plotH := float64(chartH - padTop - padBelow)
	slot := float64(chartW-padL-padR) / float64(max(len(weeks), 1))
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="chart" viewBox="0 0 %d %d" width="%d" height="%d" role="img" aria-labelledby="chart-title chart-desc" xmlns="http://www.w3.org/2000/svg">`,
		chartW, chartH, chartW, chartH)
	fmt.Fprintf(&b, `<title id="chart-title">Moments of recognition received per week, last %d weeks</title>`, len(weeks))
	total := 0
	for _, w := range weeks {
		total += w.Received
	}
	fmt.Fprintf(&b, `<desc id="chart-desc">%d moments in %d weeks; the table below gives each week.</desc>`, total, len(weeks))
	for v := 0; v <= top; v += step {
		y := float64(padTop) + plotH - plotH*float64(v)/float64(top)
		fmt.Fprintf(&b, `<line x1="%d" x2="%d" y1="%.1f" y2="%.1f" stroke="#d5dbe3" stroke-width="1"/>`, padL, chartW-padR, y, y)
		fmt.Fprintf(&b, `<text x="%d" y="%.1f" font-size="12" text-anchor="end" fill="#4a5568">%d</text>`, padL-6, y+4, v)
	}
	for i, w := range weeks {
		h := plotH * float64(w.Received) / float64(top)
		x := float64(padL) + slot*float64(i) + slot*0.15
		y := float64(padTop) + plotH - h
		fill := "#1d4ed8"
		if i == len(weeks)-1 {
			fill = "#60a5fa" // this week, not over yet
		}
		fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"><title>%s: %d</title></rect>`,
			x, y, slot*0.7, h, fill, template.HTMLEscapeString(w.Week), w.Received)
		label := w.Monday.Format("2 Jan")
		fmt.Fprintf(&b, `<text x="%.1f" y="%d" font-size="11" text-anchor="middle" fill="#4a5568">%s</text>`,
			x+slot*0.35, chartH-padBelow+16, template.HTMLEscapeString(label))
		fmt.Fprintf(&b, `<text x="%.1f" y="%d" font-size="11" text-anchor="middle" fill="#4a5568">%d%%</text>`,
			x+slot*0.35, chartH-padBelow+32, int(w.Reach*100+0.5))
	}
	fmt.Fprintf(&b, `<text x="%d" y="%d" font-size="11" fill="#4a5568">reach</text>`, 2, chartH-padBelow+32)
	b.WriteString(`</svg>`)
	return chart{SVG: template.HTML(b.String()), Weeks: weeks}
}

// niceStep is a gridline step of 1, 2 or 5 times a power of ten giving
// about four lines up to peak.
func niceStep(peak int) int {
	step := 1
	for {
		for _, m := range []int{1, 2, 5} {
			if peak/(step*m) <= 4 {
				return step * m
			}
		}
		step *= 10
	}
}
