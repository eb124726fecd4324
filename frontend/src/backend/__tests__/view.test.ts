import { activeEventRows, chart, eventCountsText, isFinalTestState, matchBadgeClass, percentText, statusBadgeClass } from '../view';
import { dashboardData } from './fixtures';

describe('control room view helpers', () => {
  it('gives each status its own badge colour', () => {
    expect(statusBadgeClass('connected')).toContain('text-bg-success');
    expect(statusBadgeClass('lagging')).toContain('text-bg-warning');
    expect(statusBadgeClass('down')).toContain('text-bg-danger');
    expect(statusBadgeClass('never')).toContain('text-bg-secondary');
  });

  it('lists only the events with something over the period', () => {
    expect(activeEventRows(dashboardData().events).map((row) => row.event)).toEqual(['AddToCart']);
  });

  it('scales bars to the busiest day, keeps empty days empty and small days visible', () => {
    const { bars } = chart([
      { day: 'a', label: 'a', delivered: 0 },
      { day: 'b', label: 'b', delivered: 1 },
      { day: 'c', label: 'c', delivered: 1000 },
      { day: 'd', label: 'd', delivered: 500 },
    ]);
    expect(bars.map((bar) => bar.height)).toEqual([0, 2, 100, 50]);
    expect(chart([{ day: 'a', label: 'a', delivered: 0 }]).bars[0].height).toBe(0);
  });

  it('gives the chart an axis from the busiest day, a label under each day of a week and fewer on a month', () => {
    const days = (count: number, delivered = (i: number) => i) =>
      Array.from({ length: count }, (_, i) => ({ day: `d${i}`, label: `L${i}`, delivered: delivered(i) }));
    const week = chart(days(7));
    expect(week.ticks).toEqual([6, 3, 0]);
    expect(week.bars.every((bar) => bar.labelled)).toBe(true);
    expect(week.showValues).toBe(true);
    expect(chart(days(7, () => 7)).ticks).toEqual([7, 0]);
    expect(chart(days(7, () => 0)).ticks).toEqual([0]);
    const month = chart(days(30));
    expect(month.showValues).toBe(false);
    const labelled = month.bars.filter((bar) => bar.labelled).map((bar) => bar.label);
    expect(labelled.length).toBeLessThanOrEqual(8);
    expect(labelled[labelled.length - 1]).toBe('L29'); // today is always written
  });

  it('writes a share, or a dash when there was nothing to divide', () => {
    expect(percentText(42)).toBe('42 %');
    expect(percentText(0)).toBe('0 %');
    expect(percentText(null)).toBe('–');
  });

  it('knows which test event states are final', () => {
    expect(['requested', 'sent', 'answered', 'failed'].map((s) => isFinalTestState(s as never))).toEqual([false, false, true, true]);
  });

  it('colours a catalog match rate by the goal, and an unmeasured one apart', () => {
    expect([matchBadgeClass(90, 90), matchBadgeClass(89.9, 90), matchBadgeClass(null, 90)]).toEqual([
      'badge rounded-pill text-bg-success',
      'badge rounded-pill text-bg-warning',
      'badge rounded-pill text-bg-secondary',
    ]);
  });

  it('names the events that sent a content id, most first', () => {
    expect(eventCountsText({ AddToCart: 1, ViewContent: 9, Purchase: 1 })).toBe('ViewContent 9 · AddToCart 1 · Purchase 1');
    expect(eventCountsText({})).toBe('');
  });
});
