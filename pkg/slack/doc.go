// Package slack is Plaudit's Slack app (DESIGN decision 12): what Slack
// sends in (the /kudos slash command, emoji reactions, button clicks)
// becomes an ordinary command through the write side once its signature
// is verified, and what Plaudit sends out (public kudos to the teams'
// channels, nudges as direct messages) is delivered from the stream by
// relays (package relay), each with its own durable consumer.
//
// Each tenant installs its own Slack app and keeps its settings (the
// signing secret and the bot token, both sealed) in a key-value bucket;
// the tenant is named in the request path, and the signature, not an API
// key, authenticates Slack. The package decides nothing of its own: the
// allowance, the message rules, who may settle a nudge and whether a
// kudos may be retracted are the command service's, and whether a nudge
// is sent at all is the rules engine's.
package slack
