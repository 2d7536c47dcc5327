-- Validation results of the latest run per source up to $built: one row per expectation.
with latest as (
    select
        source,
        max(validated_at) as validated_at,
    from quality.validation_runs
    where validated_at <= $built
    group by all
),

final as (
    select
        v.source,
        v.batch_id,
        v.expectation,
        v.rule,
        v.severity,
        v.success,
        v.raised,
        v.element_count,
        v.unexpected_count,
        v.unexpected_percent,
        v.validated_at,
    from quality.validation_runs as v
    inner join latest as l using (source, validated_at)
)

select * from final
order by success, source, expectation
