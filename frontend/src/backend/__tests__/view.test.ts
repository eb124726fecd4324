import { activeEventRows, chartBars, isFinalTestState, percentText, statusBadgeClass } from '../view';
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
    const bars = chartBars([
      { day: 'a', label: 'a', delivered: 0 },
      { day: 'b', label: 'b', delivered: 1 },
      { day: 'c', label: 'c', delivered: 1000 },
      { day: 'd', label: 'd', delivered: 500 },
    ]);
    expect(bars.map((bar) => bar.height)).toEqual([0, 2, 100, 50]);
    expect(chartBars([{ day: 'a', label: 'a', delivered: 0 }])[0].height).toBe(0);
  });

  it('writes a share, or a dash when there was nothing to divide', () => {
    expect(percentText(42)).toBe('42 %');
    expect(percentText(0)).toBe('0 %');
    expect(percentText(null)).toBe('–');
  });

  it('knows which test event states are final', () => {
    expect(['requested', 'sent', 'answered', 'failed'].map((s) => isFinalTestState(s as never))).toEqual([false, false, true, true]);
  });
});
