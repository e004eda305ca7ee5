package v1

import "time"

// QueryBalance asks the allowance projection for a member's balance; GET
// /v1/members/{member}/balance answers with it.
var QueryBalance = declare(Query{"allowance.balance", "GET /v1/members/{member}/balance", Admins | Analysts | Integrations | Self | ManagersAbove, BalanceRequest{}, Balance{}})

// BalanceRequest is the request of QueryBalance.
type BalanceRequest struct {
	Tenant string `json:"tenant"`
	Member string `json:"member"`
	// MinSeq is the stream sequence the answer must reflect.
	MinSeq uint64 `json:"min_seq,omitempty"`
}

// ReadAfter is the stream sequence the answer must reflect.
func (r BalanceRequest) ReadAfter() uint64 { return r.MinSeq }

// Balance is the answer of QueryBalance: a member's allowance in their
// current period, and the recognition they received.
type Balance struct {
	Member    string `json:"member"`
	Period    string `json:"period"`
	Limit     int    `json:"limit"`
	Spent     int    `json:"spent"`
	Remaining int    `json:"remaining"`
	// ResetsAt is when the period ends, in the member's time zone.
	ResetsAt time.Time `json:"resets_at"`
	TimeZone string    `json:"time_zone"`
	// Received in the member's current period, and all time.
	ReceivedPeriod Received `json:"received_period"`
	ReceivedTotal  Received `json:"received_total"`
}

// Received is recognition received: points and count of kudos.
type Received struct {
	Points int `json:"points"`
	Count  int `json:"count"`
}
