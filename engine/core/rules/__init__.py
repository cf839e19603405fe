"""The rules `decide()` applies, one module per job: phases, tasks, consent and participation,
facts (and rehabiliteringskedjan), timers, referral and closing. Each rule takes the command's
`Context` (the state being changed, the events so far) and the command; `context` holds what
they share."""
