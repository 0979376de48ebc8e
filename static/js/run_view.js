// One training run on screen: its state and latest numbers, the loss and accuracy charts moving
// with every `progress` event, and the snapshot and epoch views. Fed with the run's events in order
// (history first, then live); display only.
//
// A run ends in one of the FINISHED states: "done", "diverged" (the loss became infinite: the `done`
// event's reason is "diverged", with the step and learning rate) or "interrupted" (the server stopped
// while it trained). Only a run that trained to its end is shown in success colours
// (`data-outcome` on the state and the result says which ending it was). The loss axis is clipped to
// a few times the first loss, so that a diverging run's last losses do not flatten the rest of the
// curve into the bottom line; the points above are marked at the chart's top edge.
import {count, fmt} from './format.js';
import {t} from './i18n.js';
import {LineChart} from './linechart.js';
import {EpochView, SnapshotView} from './run_insides.js';

const locale = () => document.documentElement.lang;
const pct = (x) => (x === null || x === undefined ? '–'
  : new Intl.NumberFormat(locale(), {style: 'percent', minimumFractionDigits: 1, maximumFractionDigits: 1}).format(x));
const whole = (x) => (x === null || x === undefined ? '–' : count(Math.round(x)));

/** The states a run ends in (the server's GET /api/runs/{id} `state`). */
export const FINISHED = new Set(['done', 'diverged', 'interrupted']);
const CLIP_FACTOR = 3;  // the loss axis shows at most this many times the first loss
const SUCCESS = new Set(['finished']);

/** How a finished run ended: its result's reason ("finished", "stopped", "diverged", ...). */
export function outcome(state, result) {
  return result?.reason ?? (state === 'done' ? 'finished' : state);
}

/** The diverged run's explanation: the step, the learning rate, a 10 times smaller one to try. */
export function divergedText(result) {
  return t('run.diverged', {step: whole(result.step), lr: fmt(result.lr), smaller: fmt(result.lr / 10)});
}

/** The top of the loss axis: null (from the data) unless a loss beyond CLIP_FACTOR x the first one
 * would squash the chart; non-finite and null losses are left out. */
export function lossCeiling(values) {
  const finite = values.filter((v) => Number.isFinite(v));
  if (!finite.length || !(finite[0] > 0)) return null;
  const limit = CLIP_FACTOR * finite[0];
  return Math.max(...finite) > limit ? limit : null;
}

/** A loss in its narrow box: a huge one (a diverging run's) as 4.1e+33. */
const shortNumber = (x) => (Number.isFinite(x) && Math.abs(x) >= 1e5 ? x.toExponential(1) : fmt(x));

function duration(seconds) {
  if (seconds === null || seconds === undefined) return '–';
  if (seconds < 9.95) return t('train.seconds', {s: seconds.toFixed(1)});
  const s = Math.round(seconds);
  if (s < 60) return t('train.seconds', {s});
  return t('train.minutes', {m: Math.floor(s / 60), s: String(s % 60).padStart(2, '0')});
}

export class RunView {
  /** parts: element ids' nodes (see templates/learn.html). */
  constructor(parts) {
    this.parts = parts;
    this.lossChart = new LineChart(parts.lossChart, {width: 520, height: 250, xLabel: t('train.chart.step'),
                                                     label: t('train.chart.loss')});
    this.accChart = new LineChart(parts.accChart, {width: 520, height: 250, xLabel: t('train.chart.step'),
                                                   label: t('train.chart.accuracy')});
    this.snapshots = new SnapshotView(parts.snapshot);
    this.epochs = new EpochView(parts.epoch);
    this.frame = null;
    this.reset(null);
  }

  /** How a run (a GET /api/runs item) ended, as its state label ("Diverged"), or null while it is not over. */
  static endedText(run) {
    return FINISHED.has(run.state) ? t(`train.done.${outcome(run.state, run.result)}`) : null;
  }

  /** A new run (its GET /api/runs/{id} view), or none. */
  reset(run) {
    this.run = run;
    this.state = run?.state ?? null;
    this.place = run?.place ?? null;
    this.lr = run?.lr ?? null;
    this.stepsTotal = run?.steps_total ?? 1;
    this.progress = {x: [], loss: [], acc: []};
    this.epochPoints = {x: [], loss: [], acc: [], trainLoss: [], trainAcc: []};
    this.latest = null;
    this.result = FINISHED.has(this.state) ? (run?.result ?? null) : null;
    this.snapshots.clear();
    this.epochs.clear();
    this.draw();
  }

  handle(event) {
    switch (event.type) {
      case 'status':
        this.state = event.state;
        this.place = event.place ?? null;
        if (event.lr !== undefined) this.lr = event.lr;
        if (event.steps_total) this.stepsTotal = event.steps_total;
        break;
      case 'progress':
        this.latest = event;
        this.lr = event.lr;
        this.progress.x.push(event.step);
        this.progress.loss.push(event.loss);
        this.progress.acc.push(event.accuracy);
        if (this.state === 'queued' || this.state === null) this.state = 'running';
        break;
      case 'epoch':
        this.epochPoints.x.push(event.step);
        this.epochPoints.loss.push(event.val_loss);
        this.epochPoints.acc.push(event.val_accuracy);
        this.epochPoints.trainLoss.push(event.train_loss);
        this.epochPoints.trainAcc.push(event.train_accuracy);
        this.lastEpoch = event;
        this.epochs.show(event);
        break;
      case 'snapshot':
        this.snapshots.show(event);
        break;
      case 'done':
        this.state = event.reason === 'diverged' || event.reason === 'interrupted' ? event.reason : 'done';
        this.result = event;
        break;
      default:
        return;
    }
    this.schedule();
  }

  /** Draw at most once a frame (a reconnecting viewer replays hundreds of events at once). */
  schedule() {
    if (this.frame !== null) return;
    this.frame = requestAnimationFrame(() => { this.frame = null; this.draw(); });
  }

  draw() {
    this.drawStatus();
    this.drawCharts();
  }

  stateText() {
    if (!this.state) return t('train.state.none');
    if (this.state === 'queued') return this.place ? t('train.state.queued', {place: this.place}) : t('train.state.waiting');
    if (FINISHED.has(this.state)) return t(`train.done.${outcome(this.state, this.result)}`);
    return t(`train.state.${this.state}`);
  }

  drawStatus() {
    const p = this.parts;
    p.state.textContent = this.stateText();
    p.state.dataset.state = this.state ?? '';
    const ended = FINISHED.has(this.state) ? outcome(this.state, this.result) : '';
    p.state.dataset.outcome = ended;
    p.state.classList.toggle('success', SUCCESS.has(ended));
    const latest = this.latest;
    p.totals.step.textContent = t('train.num.of', {total: whole(this.stepsTotal)});
    p.totals.epoch.textContent = this.run ? t('train.num.of', {total: this.run.config.epochs}) : '';
    const values = {
      step: latest ? whole(latest.step) : '0',
      epoch: latest ? String(latest.epoch) : '–',
      loss: latest ? shortNumber(latest.loss) : '–',
      accuracy: latest ? pct(latest.accuracy) : '–',
      // (the test accuracy measured at the end of the last epoch; the result below is the final model's)
      val: this.lastEpoch ? t('train.num.val_at', {accuracy: pct(this.lastEpoch.val_accuracy), epoch: this.lastEpoch.epoch})
        : '–',
      speed: latest ? whole(latest.samples_per_s) : '–',
      left: latest && !FINISHED.has(this.state) ? duration(latest.seconds_left) : '–',
      lr: this.lr === null ? '–' : fmt(this.lr),
    };
    for (const [key, text] of Object.entries(values)) p.numbers[key].textContent = text;
    const r = this.result;
    p.result.hidden = !r;
    p.result.dataset.outcome = r ? outcome(this.state, r) : '';
    p.result.classList.toggle('success', Boolean(r) && SUCCESS.has(outcome(this.state, r)));
    if (r?.reason === 'diverged') p.result.textContent = divergedText(r);
    else if (r?.reason === 'interrupted') p.result.textContent = t('run.interrupted');
    else if (r) {
      p.result.textContent = r.test_accuracy === null || r.test_accuracy === undefined
        ? t(`train.result.none.${r.reason}`, {limit: r.limit ?? ''})
        : t('train.result', {accuracy: pct(r.test_accuracy), steps: whole(r.step), seconds: duration(r.seconds)})
          + (r.reason === 'time_limit' || r.reason === 'pause_limit'
            ? ` ${t(`train.result.${r.reason}`, {limit: duration(r.limit)})}` : '');
    }
  }

  drawCharts() {
    const xDomain = [0, Math.max(1, this.stepsTotal)];
    const e = this.epochPoints;
    const last = (xs) => xs[xs.length - 1];
    const ceiling = lossCeiling([...this.progress.loss, ...e.loss]);
    this.lossChart.setData({
      series: [{id: 'train', label: t('train.chart.train_loss'), x: this.progress.x, y: this.progress.loss},
               {id: 'val', label: t('train.chart.val_loss'), x: e.x, y: e.loss, dash: true}],
      markers: e.x.map((x, i) => ({x, y: e.loss[i], series: 'val', label: i === e.x.length - 1 ? fmt(last(e.loss)) : ''})),
      xDomain, yDomain: ceiling === null ? null : [0, ceiling],
      overflow: ceiling === null ? null : t('train.chart.clipped', {limit: fmt(ceiling)}),
    });
    this.accChart.setData({
      series: [{id: 'train', label: t('train.chart.train_acc'), x: this.progress.x, y: this.progress.acc},
               {id: 'val', label: t('train.chart.val_acc'), x: e.x, y: e.acc, dash: true}],
      markers: e.x.map((x, i) => ({x, y: e.acc[i], series: 'val', label: i === e.x.length - 1 ? pct(last(e.acc)) : ''})),
      xDomain, yDomain: [0, 1],
    });
  }
}
