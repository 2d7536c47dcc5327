-- Downtime Pareto: hours of each non-running state and reason code from $since up to $end
-- (events cut to the window), most first. Running and planned stops are not losses.
select
    state,
    coalesce(nullif(reason_code, ''), '(no reason)') as reason_code,
    sum(
        epoch(least(end_ts, $end) - greatest(start_ts, $since))
    ) / 3600.0 as hours,
    count(*) as events,
from core.machine_events
where end_ts > $since
    and start_ts < $end
    and state in ('down', 'setup', 'idle')
group by all
order by hours desc, state, reason_code
