package web

import (
	"net/http"
	"strconv"
	"strings"

	apiv1 "github.com/plaudit/plaudit/pkg/api/v1"
	"github.com/plaudit/plaudit/pkg/event"
)

// policyForm is the policy form as shown and as posted, in text, so that
// a refusal shows what was typed.
type policyForm struct {
	Amount, Period, Values, MinLength string
	RejectGeneric                     bool
}

// periods are the allowance periods the form offers.
var periods = []string{event.PeriodDay, event.PeriodWeek, event.PeriodMonth}

// policyFields maps the fields PUT /v1/policy names to the form's.
var policyFields = map[string]string{
	"allowance":                    "allowance_amount",
	"allowance.amount":             "allowance_amount",
	"allowance.period":             "allowance_period",
	"values":                       "values",
	"message_rules.min_length":     "min_length",
	"message_rules.reject_generic": "reject_generic",
}

func policyFormOf(p apiv1.Policy) *policyForm {
	return &policyForm{
		Amount: strconv.Itoa(p.Allowance.Amount), Period: p.Allowance.Period, Values: strings.Join(p.Values, ", "),
		MinLength: strconv.Itoa(p.MessageRules.MinLength), RejectGeneric: p.MessageRules.RejectGeneric,
	}
}

// setPolicy saves the policy form. PUT /v1/policy sets the whole policy,
// so the rating rules and nudge settings, which the form does not show,
// are sent back as the policy in force has them. An admin who changed
// them between this read and the write loses that change; the form is
// only for what it shows.
func (s *Server) setPolicy(w http.ResponseWriter, r *http.Request, v *viewer) {
	f := policyForm{
		Amount: r.PostFormValue("allowance_amount"), Period: r.PostFormValue("allowance_period"),
		Values: r.PostFormValue("values"), MinLength: r.PostFormValue("min_length"),
		RejectGeneric: r.PostFormValue("reject_generic") != "",
	}
	d := adminData{Policy: &f, Errors: map[string]string{}}
	req := apiv1.PolicyRequest{
		Allowance:    &apiv1.PolicyAllowance{Amount: wholeNumber(d.Errors, "allowance_amount", f.Amount), Period: f.Period},
		Values:       splitValues(f.Values),
		MessageRules: &apiv1.PolicyMessageRules{RejectGeneric: &f.RejectGeneric},
	}
	if strings.TrimSpace(f.MinLength) != "" {
		req.MessageRules.MinLength = wholeNumber(d.Errors, "min_length", f.MinLength)
	}
	if len(d.Errors) > 0 {
		s.renderAdmin(w, r, v, http.StatusUnprocessableEntity, d)
		return
	}
	var cur apiv1.Policy
	if p := s.call(r, v, http.MethodGet, "/v1/policy", nil, &cur); p != nil {
		s.failProblem(w, r, v, p)
		return
	}
	req.Rules, req.Nudges = cur.Rules, cur.Nudges
	var out apiv1.Written
	if p := s.call(r, v, http.MethodPut, "/v1/policy", req, &out); p != nil {
		s.refuseForm(w, r, v, p, d, "policy", policyFields)
		return
	}
	http.Redirect(w, r, withMinSeq("/admin?done=policy", out.Seq), http.StatusSeeOther)
}

// wholeNumber reads a form's number field; when it is not a whole number
// it says so in errs, at field, and returns nil.
func wholeNumber(errs map[string]string, field, s string) *int {
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil {
		errs[field] = "must be a whole number"
		return nil
	}
	return &n
}

// splitValues reads the values field: names separated by commas. None is
// nil, which the API takes as any value.
func splitValues(s string) []string {
	var out []string
	for _, v := range strings.Split(s, ",") {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}
