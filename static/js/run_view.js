// One training run on screen: its state and latest numbers, the loss and accuracy charts moving
// with every `progress` event, and the snapshot and epoch views. Fed with the run's events in order
// (history first, then live); display only.
import {fmt} from './format.js';
import {t} from './i18n.js';
import {LineChart} from './linechart.js';
import {EpochView, SnapshotView} from './run_insides.js';

const locale = () => document.documentElement.lang;
const pct = (x) => (x === null || x === undefined ? '–'
  : new Intl.NumberFormat(locale(), {style: 'percent', minimumFractionDigits: 1, maximumFractionDigits: 1}).format(x));
const whole = (x) => (x === null || x === undefined ? '–' : Math.round(x).toLocaleString(locale()));

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
    this.result = null;
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
        this.state = 'done';
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
    if (this.state === 'done') return t(`train.done.${this.result?.reason ?? 'finished'}`);
    return t(`train.state.${this.state}`);
  }

  drawStatus() {
    const p = this.parts;
    p.state.textContent = this.stateText();
    p.state.dataset.state = this.state ?? '';
    const latest = this.latest;
    p.totals.step.textContent = t('train.num.of', {total: whole(this.stepsTotal)});
    p.totals.epoch.textContent = this.run ? t('train.num.of', {total: this.run.config.epochs}) : '';
    const values = {
      step: latest ? whole(latest.step) : '0',
      epoch: latest ? String(latest.epoch) : '–',
      loss: latest ? fmt(latest.loss) : '–',
      accuracy: latest ? pct(latest.accuracy) : '–',
      val: this.lastEpoch ? pct(this.lastEpoch.val_accuracy) : '–',
      speed: latest ? whole(latest.samples_per_s) : '–',
      left: latest && this.state !== 'done' ? duration(latest.seconds_left) : '–',
      lr: this.lr === null ? '–' : fmt(this.lr),
    };
    for (const [key, text] of Object.entries(values)) p.numbers[key].textContent = text;
    const r = this.result;
    p.result.hidden = !r;
    if (r) {
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
    this.lossChart.setData({
      series: [{id: 'train', label: t('train.chart.train_loss'), x: this.progress.x, y: this.progress.loss},
               {id: 'val', label: t('train.chart.val_loss'), x: e.x, y: e.loss, dash: true}],
      markers: e.x.map((x, i) => ({x, y: e.loss[i], series: 'val', label: i === e.x.length - 1 ? fmt(last(e.loss)) : ''})),
      xDomain, yDomain: null,
    });
    this.accChart.setData({
      series: [{id: 'train', label: t('train.chart.train_acc'), x: this.progress.x, y: this.progress.acc},
               {id: 'val', label: t('train.chart.val_acc'), x: e.x, y: e.acc, dash: true}],
      markers: e.x.map((x, i) => ({x, y: e.acc[i], series: 'val', label: i === e.x.length - 1 ? pct(last(e.acc)) : ''})),
      xDomain, yDomain: [0, 1],
    });
  }
}
