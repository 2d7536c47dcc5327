-- Largest OEE losses in the 7 days up to the latest snapshot's as-of date, per machine.
-- Grain: one row per machine. Loss hours split into availability, performance and quality
-- losses (ISO 22400): PBT x (1 - OEE) = availability loss + performance loss + quality loss.
with latest as (
    select as_of from twin.snapshots where snapshot_id = twin.current_snapshot()
),

week as (
    select m.*
    from twin.machine_day as m, latest
    where m.day > latest.as_of - interval 7 day and m.day <= latest.as_of
),

final as (
    select
        machine_id,
        line_id,
        round(sum(planned_busy_s) / 3600, 1) as planned_hours,
        round(sum(planned_busy_s - running_s) / 3600, 1) as availability_loss_hours,
        round(sum(running_s * (1 - coalesce(performance, 1))) / 3600, 1) as performance_loss_hours,
        round(sum(running_s * coalesce(performance, 1) * (1 - coalesce(quality, 1))) / 3600, 1)
            as quality_loss_hours,
        round(sum(planned_busy_s * (1 - coalesce(oee, 0))) / 3600, 1) as oee_loss_hours,
        round(sum(oee * planned_busy_s) / nullif(sum(planned_busy_s), 0), 3) as oee_week
    from week
    group by machine_id, line_id
)

select * from final
order by oee_loss_hours desc
limit 10
